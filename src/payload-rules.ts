import { PayloadError } from './errors.js';

/**
 * The payload rule, one for every way in (dispatch, dispatchMany, chain, `queue:dispatch`, the
 * testing fake): a payload is plain JSON data, or valid Dates (stored tagged, revived as Dates),
 * so that `handle()` sees exactly what was dispatched. Anything JSON would change or drop on the
 * way is refused with its path.
 */

/**
 * Deepest nesting accepted (the payload itself is level 1); deeper ones are refused at dispatch.
 * The depth the log redaction walks, so no field of a stored payload escapes it.
 */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * The key a `Date` is stored under (`{ "$jobwright:date": "2026-...Z" }`) so the worker revives
 * it as a `Date`; a payload object of that one key is refused, so stored data is never mistaken.
 */
export const DATE_TAG = '$jobwright:date';

/** Keys the payload reader drops (they would reach an object's prototype): refused, not lost. */
const DROPPED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface Pending {
  value: unknown;
  path: string;
  depth: number;
  /** Set once the object's children are queued: the marker that takes it off the cycle path. */
  leave?: object;
}

/**
 * Throws a `PayloadError` naming the first value (e.g. `payload.items[3].when`) that JSON cannot
 * carry unchanged. Walks with its own stack, so any depth gives a typed error, never a RangeError.
 */
export function checkPayload(value: unknown, root = 'payload'): { dates: boolean } {
  const onPath = new Set<object>();
  const found = { dates: false };
  const stack: Pending[] = [{ value, path: root, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item.leave) {
      onPath.delete(item.leave);
      continue;
    }
    if (item.value instanceof Date && !Number.isNaN(item.value.getTime())) {
      found.dates = true;
      continue;
    }
    const children = childrenOf(item, onPath);
    if (children.length === 0) continue;
    if (item.depth >= MAX_PAYLOAD_DEPTH) {
      throw new PayloadError(
        'PAYLOAD_TOO_DEEP',
        `Job payload cannot be stored: ${item.path} is nested deeper than ${MAX_PAYLOAD_DEPTH} levels: flatten the data, or store it elsewhere and pass a reference`,
      );
    }
    const obj = item.value as object;
    onPath.add(obj);
    stack.push({ value: undefined, path: item.path, depth: item.depth, leave: obj });
    for (let i = children.length - 1; i >= 0; i--) {
      const [path, child] = children[i]!;
      stack.push({ value: child, path, depth: item.depth + 1 });
    }
  }
  return found;
}

/** Checks one value; returns the children to check next (empty for a leaf). */
function childrenOf(item: Pending, onPath: Set<object>): Array<[string, unknown]> {
  const { value, path } = item;
  switch (typeof value) {
    case 'string':
      checkString(value, path);
      return [];
    case 'boolean':
      return [];
    case 'number':
      if (!Number.isFinite(value)) throw refuse(path, `the number ${value} (JSON has no NaN or Infinity)`);
      return [];
    case 'undefined':
      // An object key holding undefined is dropped, which reads back the same: only arrays change.
      return [];
    case 'bigint':
      throw refuse(path, 'a BigInt (store it as a string and convert in handle())');
    case 'function':
      throw refuse(path, 'a function (store data, not behaviour)');
    case 'symbol':
      throw refuse(path, 'a symbol');
  }
  if (value === null) return [];
  const obj = value as object;
  if (onPath.has(obj)) throw refuse(path, 'a circular reference');
  if (Array.isArray(obj)) {
    const children: Array<[string, unknown]> = [];
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj) || obj[i] === undefined) {
        throw refuse(`${path}[${i}]`, 'undefined or an empty slot (JSON turns it into null): use null');
      }
      children.push([`${path}[${i}]`, obj[i]]);
    }
    return children;
  }
  const problem = notPlain(obj);
  if (problem) throw refuse(path, problem);
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === DATE_TAG) {
    throw refuse(path, `an object whose only key is '${DATE_TAG}', which stores Dates: rename the key`);
  }
  const children: Array<[string, unknown]> = [];
  for (const key of keys) {
    const at = childPath(path, key);
    checkString(key, `the key ${at}`);
    if (DROPPED_KEYS.has(key)) {
      throw refuse(at, `a key named '${key}', which stored payloads never read back: rename it`);
    }
    children.push([at, (obj as Record<string, unknown>)[key]]);
  }
  if (Object.getOwnPropertySymbols(obj).some((s) => Object.prototype.propertyIsEnumerable.call(obj, s))) {
    throw refuse(path, 'an object with symbol keys (JSON drops them): use string keys');
  }
  return children;
}

/** Why an object is not plain data, or null when it is. */
function notPlain(obj: object): string | null {
  // Valid Dates are stored tagged and revived (see DATE_TAG); only an invalid one gets here.
  if (obj instanceof Date) return 'an invalid Date (JSON turns it into null)';
  if (obj instanceof Map || obj instanceof Set || obj instanceof WeakMap || obj instanceof WeakSet) {
    return `a ${obj.constructor.name} (JSON turns it into {}): convert it to an array or plain object`;
  }
  if (obj instanceof Error) return 'an Error (JSON turns it into {}): store its message as a string';
  if (obj instanceof RegExp) return 'a RegExp (JSON turns it into {}): store its source as a string';
  if (obj instanceof Promise) return 'a Promise: await it before dispatching';
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return 'binary data: encode it as base64 text';
  const proto = Object.getPrototypeOf(obj) as object | null;
  // Plain: made by {} or JSON.parse (in this realm or another), or Object.create(null).
  if (proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null) return null;
  const name = (proto as { constructor?: { name?: string } }).constructor?.name || 'class';
  return `a ${name} instance: JSON keeps neither its class nor its methods (nor what toJSON() makes of it reads back as one); store plain fields, or give the job serialize() and a static deserialize()`;
}

function checkString(text: string, path: string): void {
  // PostgreSQL's JSONB refuses both, so no store accepts them: one rule for every driver.
  if (text.includes('\u0000')) throw refuse(path, 'a string with a NUL character (\\u0000)');
  if (LONE_SURROGATE.test(text))
    throw refuse(path, 'a string with a lone UTF-16 surrogate (not valid Unicode)');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key).slice(0, 60)}]`;
}

function refuse(path: string, what: string): PayloadError {
  return new PayloadError('UNSERIALIZABLE_PAYLOAD', `Job payload cannot be stored: ${path} is ${what}`);
}
