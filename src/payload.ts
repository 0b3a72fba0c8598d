import { environmentKeyring, type Keyring } from './encryption.js';
import { CorruptPayloadError, PayloadError } from './errors.js';
import { checkPayload, DATE_TAG } from './payload-rules.js';
import {
  isEnvelope,
  type OpenedPayload,
  openEnvelope,
  type PayloadSeal,
  sealPayload,
} from './sealed-payload.js';

/** Keys that would reach an object's prototype when assigned: never copied from stored data. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Checks a payload against the payload rule (src/payload-rules.ts); throws a `PayloadError`. */
export function assertJsonSafe(value: unknown): { dates: boolean } {
  return checkPayload(value);
}

/** JSON.stringify replacer: a Date (already turned into its ISO text by toJSON) is stored tagged. */
function tagDates(this: Record<string, unknown>, key: string, value: unknown): unknown {
  return this[key] instanceof Date ? { [DATE_TAG]: value } : value;
}

/**
 * Serializes a job payload, rejecting what JSON would lose and what is over `limitBytes`;
 * `seal` records the sensitive names and encrypts (sealed-payload.ts).
 */
export function encodePayload(value: unknown, limitBytes: number, seal?: PayloadSeal): string {
  const { dates } = assertJsonSafe(value);
  let text: string;
  try {
    // The replacer only when there are Dates: it slows JSON.stringify down several times.
    text = dates ? JSON.stringify(value ?? null, tagDates) : JSON.stringify(value ?? null);
  } catch (error) {
    throw new PayloadError(
      'UNSERIALIZABLE_PAYLOAD',
      `Job payload cannot be stored: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limitBytes) {
    throw new PayloadError(
      'PAYLOAD_TOO_LARGE',
      `Job payload is ${bytes} bytes, over the ${limitBytes}-byte limit (JOB_MAX_PAYLOAD_BYTES): store the data elsewhere and pass a reference`,
    );
  }
  return seal ? sealPayload(text, seal) : text;
}

/** The payload of stored text, decrypted with `keys` (the environment's by default). */
export function decodePayload(text: string, keys?: Keyring): unknown {
  return openPayload(text, keys).payload;
}

/** Stored text opened: see `openEnvelope` for the `run` and `view` modes. */
export function openPayload(text: string, keys?: Keyring, mode: 'run' | 'view' = 'run'): OpenedPayload {
  const value = parseJson(text);
  if (!isEnvelope(value)) return { payload: value, sensitive: [], encrypted: false };
  return openEnvelope(value, keys ?? environmentKeyring(), parseJson, mode);
}

/** Parses JSON text; prototype keys are dropped so they cannot pollute objects; tagged Dates revive. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, reviveValue);
  } catch (error) {
    throw new CorruptPayloadError(
      'CORRUPT_PAYLOAD',
      `Stored payload is not valid JSON (${(error as Error).message}); the row was damaged or written by something else`,
      { cause: error },
    );
  }
}

function reviveValue(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) return undefined;
  if (value !== null && typeof value === 'object' && DATE_TAG in value) {
    const iso = (value as Record<string, unknown>)[DATE_TAG];
    if (typeof iso === 'string' && Object.keys(value).length === 1) {
      const date = new Date(iso);
      if (!Number.isNaN(date.getTime())) return date;
    }
  }
  return value;
}

/** Copies own data properties onto `target`, skipping prototype keys. */
export function assignSafely<T extends object>(target: T, source: unknown): T {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return target;
  for (const [key, value] of Object.entries(source)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return target;
}
