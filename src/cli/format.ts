import { InvalidArgumentError } from 'commander';

/** A plain-text table: the header row, then one row per item, columns padded to fit. */
export function table(header: string[], rows: string[][], style: (s: string) => string = (s) => s): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [style(line(header)), ...rows.map(line)].join('\n');
}

/** 950 ms, 12 s, 4 m 3 s, 2 h 5 m, 3 d 4 h. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `2026-01-31 12:00:05` in UTC: short enough for a table, unambiguous across machines. */
export function formatTime(date: Date | null): string {
  if (!date) return '-';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Shortens one line of text for a table cell. */
export function clip(text: string | null, max: number): string {
  if (!text) return '-';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Parses `90s`, `15m`, `12h`, `7d`, `2w` (a bare number is hours) into seconds. */
export function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/i.exec(text.trim());
  if (!match) {
    throw new InvalidArgumentError(`use a number and a unit, e.g. 90s, 15m, 12h, 7d or 2w`);
  }
  return Number(match[1]) * UNIT_SECONDS[(match[2] || 'h').toLowerCase()]!;
}

/** A whole number from `min`, for options such as --concurrency. */
export function parseCount(name: string, min = 1, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `${name} must be a whole number from ${min}`
          : `${name} must be a whole number from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** A positive number, for options such as --max-time; `max` keeps it to what a timer or store takes. */
export function parsePositive(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`${name} must be a number above 0, up to ${max}`);
    }
    return n;
  };
}

/** A whole number from `min` to `max` (an empty text is not 0), for options such as --priority. */
export function parseWholeNumber(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
      );
    }
    return n;
  };
}

/** `a,b , c` → ['a', 'b', 'c']. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Dates in JSON output as ISO strings; everything else as is. */
export function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
