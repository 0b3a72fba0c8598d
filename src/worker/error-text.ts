/**
 * Turning whatever `handle` threw into an Error and a storable text, without ever throwing: a
 * thrown value may be cyclic, a BigInt, have a `toJSON` or `stack` getter that throws, or be a
 * Proxy. The outcome must still be written (rule 7), so every step has a fallback.
 */

const MAX_TEXT = 8000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Reads `value[key]` as a string, or null when it is missing, not a string, or its getter throws. */
function readString(value: object, key: string): string | null {
  try {
    const field = (value as Record<string, unknown>)[key];
    return typeof field === 'string' ? field : null;
  } catch {
    return null;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** A short text for any thrown value. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch {
    // Cyclic, BigInt, or a toJSON that throws: fall through to String().
  }
  try {
    return String(value);
  } catch {
    return `a thrown ${typeof value} that cannot be described`;
  }
}

/** Any thrown value as an Error whose `message` and `stack` can be read safely. */
export function toError(value: unknown): Error {
  if (isError(value)) {
    // An Error whose own getters throw is replaced by a plain copy of what can be read.
    const message = readString(value, 'message');
    const stack = readString(value, 'stack');
    if (message !== null && (stack !== null || !hasThrowingStack(value))) return value;
    const copy = new Error(message ?? 'an error whose message cannot be read');
    copy.name = readString(value, 'name') ?? 'Error';
    copy.stack = stack ?? `${copy.name}: ${copy.message}`;
    return copy;
  }
  return new Error(describeValue(value));
}

function hasThrowingStack(value: object): boolean {
  try {
    void (value as { stack?: unknown }).stack;
    return false;
  } catch {
    return true;
  }
}

/**
 * The text stored in `error_message`: the error's stack when there is one, else name and message,
 * cut to 8,000 characters and made storable (no NUL characters, no lone surrogates, which
 * PostgreSQL refuses in text).
 */
export function describeError(error: unknown): string {
  let text: string;
  if (isError(error)) {
    text =
      readString(error, 'stack') ??
      `${readString(error, 'name') ?? 'Error'}: ${readString(error, 'message') ?? describeValue(error)}`;
  } else {
    text = describeValue(error);
  }
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…`;
  return storableText(text);
}

/** Text any store accepts: NUL characters dropped, lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}
