import { environmentKeyring, type Keyring } from './encryption.js';
import { CorruptPayloadError, PayloadError } from './errors.js';
import { checkPayload } from './payload-rules.js';
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
export function assertJsonSafe(value: unknown): void {
  checkPayload(value);
}

/**
 * Serializes a job payload, rejecting what JSON would lose and what is over `limitBytes`;
 * `seal` records the sensitive names and encrypts (sealed-payload.ts).
 */
export function encodePayload(value: unknown, limitBytes: number, seal?: PayloadSeal): string {
  assertJsonSafe(value);
  let text: string;
  try {
    text = JSON.stringify(value ?? null);
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

/** Parses JSON text; prototype keys are dropped so they cannot pollute objects. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, (key, value) => (FORBIDDEN_KEYS.has(key) ? undefined : value));
  } catch (error) {
    throw new CorruptPayloadError(
      'CORRUPT_PAYLOAD',
      `Stored payload is not valid JSON (${(error as Error).message}); the row was damaged or written by something else`,
      { cause: error },
    );
  }
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
