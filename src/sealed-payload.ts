import type { Keyring } from './encryption.js';
import { CorruptPayloadError } from './errors.js';

/**
 * How a payload is stored when it needs more than its JSON: the job's sensitive field names,
 * recorded at dispatch so every reader can redact without the class, and the encrypted form.
 *
 * - plain job: the payload's JSON, as before;
 * - sensitive fields: `{"$jobwright":1,"sensitive":["cardnumber"],"data":{…}}` where each value
 *   under a sensitive key is replaced by `{"$jobwright.sealed":"<base64 of its JSON>"}`, so a
 *   text search of the store (dashboard, `LIKE`) does not find it and no reader shows it. This
 *   is not protection at rest: `encrypted()` is;
 * - encrypted(): `{"$jobwright":1,"sensitive":[…],"encrypted":"<kid.iv.tag.data>"}` (AES-256-GCM
 *   of the payload's JSON, see encryption.ts);
 * - a payload whose own top level has a `$jobwright` key is wrapped as `{"$jobwright":1,"data":…}`,
 *   so it is never mistaken for an envelope.
 */

const MARK = '$jobwright';
const SEALED = '$jobwright.sealed';
/** What readers show for a payload they cannot (or may not) decrypt. */
export const ENCRYPTED = '[encrypted]';
/** Deeper than this, a subtree holding sensitive keys is sealed whole rather than walked. */
const MAX_DEPTH = 32;

export interface PayloadSeal {
  jobName: string;
  /** Sensitive field names (any case): stored lower-cased. */
  sensitive: Iterable<string>;
  /** Encrypt the payload under the keyring's current key. */
  encrypt: boolean;
  keys: Keyring;
}

/** A stored payload opened: the payload, the names recorded with it, and whether it was encrypted. */
export interface OpenedPayload {
  payload: unknown;
  sensitive: string[];
  encrypted: boolean;
}

interface Envelope {
  [MARK]: 1;
  sensitive?: unknown;
  data?: unknown;
  encrypted?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isEnvelope(value: unknown): value is Envelope {
  return isPlainObject(value) && value[MARK] === 1;
}

/** The stored text for a payload's JSON `text`: unchanged for plain jobs. */
export function sealPayload(text: string, seal: PayloadSeal): string {
  const sensitive = [...new Set([...seal.sensitive].map((name) => name.toLowerCase()))].sort();
  if (seal.encrypt) {
    return JSON.stringify({ [MARK]: 1, sensitive, encrypted: seal.keys.encrypt(text, seal.jobName) });
  }
  if (sensitive.length === 0) {
    // The common case costs one substring check: only a payload naming our mark is re-parsed.
    if (!text.includes(`"${MARK}"`)) return text;
    const value = JSON.parse(text) as unknown;
    return isPlainObject(value) && Object.hasOwn(value, MARK)
      ? JSON.stringify({ [MARK]: 1, data: value })
      : text;
  }
  const data = sealValues(JSON.parse(text), new Set(sensitive), 0);
  return JSON.stringify({ [MARK]: 1, sensitive, data });
}

function sealOne(value: unknown): Record<string, string> {
  return { [SEALED]: Buffer.from(JSON.stringify(value ?? null), 'utf8').toString('base64') };
}

function sealValues(value: unknown, fields: ReadonlySet<string>, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return sealOne(value);
  if (Array.isArray(value)) return value.map((item) => sealValues(item, fields, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = fields.has(key.toLowerCase()) ? sealOne(item) : sealValues(item, fields, depth + 1);
  }
  return out;
}

/** Puts sealed values back (`parse` reads their JSON). */
function unsealValues(value: unknown, parse: (text: string) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => unsealValues(item, parse));
  const sealed = (value as Record<string, unknown>)[SEALED];
  if (typeof sealed === 'string' && Object.keys(value).length === 1) {
    return parse(Buffer.from(sealed, 'base64').toString('utf8'));
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = unsealValues(item, parse);
  return out;
}

function namesOf(envelope: Envelope): string[] {
  const list = Array.isArray(envelope.sensitive) ? envelope.sensitive : [];
  return list.filter((name): name is string => typeof name === 'string' && name !== '');
}

/**
 * Opens an envelope. `view` is for readers (`find()`, CLI, dashboard): a payload the keyring
 * cannot decrypt reads as `[encrypted]` (display readers then redact the recorded sensitive
 * names); `run` (a worker) gets the payload whole or a typed error saying why it cannot.
 */
export function openEnvelope(
  envelope: Envelope,
  keys: Keyring,
  parse: (text: string) => unknown,
  mode: 'run' | 'view',
): OpenedPayload {
  const sensitive = namesOf(envelope);
  if (envelope.encrypted !== undefined) {
    if (typeof envelope.encrypted !== 'string') {
      throw new CorruptPayloadError(
        'CORRUPT_ENCRYPTED_PAYLOAD',
        'The stored encrypted payload is not text: the row was damaged or written by something else',
      );
    }
    if (mode === 'view' && !keys.canDecrypt) return { payload: ENCRYPTED, sensitive, encrypted: true };
    try {
      return { payload: parse(keys.decrypt(envelope.encrypted)), sensitive, encrypted: true };
    } catch (error) {
      if (mode === 'view') return { payload: ENCRYPTED, sensitive, encrypted: true };
      throw error;
    }
  }
  return { payload: unsealValues(envelope.data ?? null, parse), sensitive, encrypted: false };
}

/** The sensitive names stored with a payload at dispatch (none for a plain payload). */
export function storedSensitiveNames(text: string): string[] {
  if (!text.includes(`"${MARK}"`)) return [];
  try {
    const value = JSON.parse(text) as unknown;
    return isEnvelope(value) ? namesOf(value) : [];
  } catch {
    return [];
  }
}

/** Whether stored text is an encrypted envelope (the worker refuses plaintext for encrypted classes). */
export function isEncryptedText(text: string): boolean {
  // Not a prefix test: PostgreSQL's jsonb gives the keys back in its own order.
  if (!text.includes(`"${MARK}"`)) return false;
  try {
    const value = JSON.parse(text) as unknown;
    return isEnvelope(value) && typeof value.encrypted === 'string';
  } catch {
    return false;
  }
}
