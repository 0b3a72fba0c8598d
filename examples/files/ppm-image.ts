/**
 * Portable pixmap (PPM) images in plain TypeScript: the format is a short text header and raw
 * RGB bytes, so a resize is real work on real files without an image library.
 */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row by row. */
  pixels: Uint8Array;
}

const MAX_SIDE = 10_000;

/** Reads a P6 (binary) or P3 (ASCII) PPM with 8-bit samples. */
export function parsePpm(data: Buffer): RgbImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < data.length && /\s/.test(String.fromCharCode(data[pos]!))) pos++;
      if (data[pos] !== 0x23) break; // '#': a comment to the end of the line
      while (pos < data.length && data[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < data.length && !/\s/.test(String.fromCharCode(data[pos]!))) pos++;
    if (start === pos) throw new Error('PPM header ends early');
    return data.toString('latin1', start, pos);
  };
  const magic = token();
  if (magic !== 'P6' && magic !== 'P3') throw new Error(`Not a PPM image (magic ${JSON.stringify(magic)})`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE)
      throw new Error(`PPM ${name} ${v} is not 1..${MAX_SIDE}`);
  }
  if (!Number.isInteger(maxval) || maxval < 1 || maxval > 255)
    throw new Error(`PPM maxval ${maxval} is not 1..255`);
  const size = width * height * 3;
  const pixels = new Uint8Array(size);
  const scale = (v: number) => Math.round((v * 255) / maxval);
  if (magic === 'P6') {
    pos++; // the single whitespace after maxval
    if (data.length - pos < size)
      throw new Error(`PPM pixel data is short: ${data.length - pos} of ${size} bytes`);
    for (let i = 0; i < size; i++) pixels[i] = scale(data[pos + i]!);
  } else {
    for (let i = 0; i < size; i++) pixels[i] = scale(Number(token()));
  }
  return { width, height, pixels };
}

/** Writes a binary (P6) PPM. */
export function encodePpm(image: RgbImage): Buffer {
  const header = Buffer.from(`P6\n${image.width} ${image.height}\n255\n`, 'latin1');
  return Buffer.concat([header, Buffer.from(image.pixels)]);
}

/** Scales with bilinear interpolation (each output pixel blends the four nearest source pixels). */
export function resizeImage(src: RgbImage, width: number, height: number): RgbImage {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > MAX_SIDE ||
    height > MAX_SIDE
  ) {
    throw new Error(`Target size ${width}x${height} is not 1..${MAX_SIDE} on each side`);
  }
  const out = new Uint8Array(width * height * 3);
  const xRatio = width > 1 ? (src.width - 1) / (width - 1) : 0;
  const yRatio = height > 1 ? (src.height - 1) / (height - 1) : 0;
  for (let y = 0; y < height; y++) {
    const sy = y * yRatio;
    const y0 = Math.floor(sy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = x * xRatio;
      const x0 = Math.floor(sx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (xx: number, yy: number) => src.pixels[(yy * src.width + xx) * 3 + c]!;
        const top = p(x0, y0) * (1 - fx) + p(x1, y0) * fx;
        const bottom = p(x0, y1) * (1 - fx) + p(x1, y1) * fx;
        out[(y * width + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, pixels: out };
}

/** A test card: a red-to-blue gradient with a green diagonal, to see that a resize kept the picture. */
export function gradientImage(width: number, height: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.round((255 * x) / Math.max(1, width - 1));
      pixels[i + 1] = Math.abs(x * height - y * width) < Math.max(width, height) ? 255 : 0;
      pixels[i + 2] = Math.round((255 * y) / Math.max(1, height - 1));
    }
  }
  return { width, height, pixels };
}
