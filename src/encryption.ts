import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError, CorruptPayloadError } from './errors.js';

/**
 * Payload encryption: AES-256-GCM under `JOBWRIGHT_KEY` (32 random bytes, base64). Older keys
 * listed in `JOBWRIGHT_PREVIOUS_KEYS` (comma-separated) still decrypt, so keys can be rotated
 * while jobs encrypted under the old one are waiting: new jobs always use the current key.
 */

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Ties every ciphertext to this use, so one made for something else does not pass as a payload. */
const AAD = Buffer.from('jobwright-payload-v1');
/** At most this many previous keys: a longer list is a mistake, and each costs a lookup. */
export const MAX_PREVIOUS_KEYS = 16;

export interface EncryptionSettings {
  /** The key new payloads are encrypted under (base64 of 32 bytes); JOBWRIGHT_KEY by default. */
  key?: string;
  /** Older keys, still accepted for decryption; JOBWRIGHT_PREVIOUS_KEYS by default. */
  previousKeys?: string[];
  /** Run plaintext payloads stored for an encrypted class (the switch-over); JOBWRIGHT_ACCEPT_PLAINTEXT=1. */
  acceptPlaintext?: boolean;
}

interface Key {
  id: string;
  bytes: Buffer;
}

/** A short public name of a key, stored with each ciphertext to find the key that opens it. */
function keyId(bytes: Buffer): string {
  return createHash('sha256').update('jobwright-key-id').update(bytes).digest('base64url').slice(0, 11);
}

function parseKey(value: string, setting: string): Key {
  const text = value.trim();
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new ConfigError(
      'INVALID_ENCRYPTION_KEY',
      `${setting} must be ${KEY_BYTES} random bytes in base64 (44 characters), got ${text.length} characters` +
        ` decoding to ${bytes.length} bytes: make one with \`npx artisan key:generate\` or \`openssl rand -base64 32\``,
    );
  }
  return { id: keyId(bytes), bytes };
}

/** The keys a process holds: the current one (or none) and the older ones it still accepts. */
export class Keyring {
  readonly current: Key | null;
  private readonly all = new Map<string, Key>();
  readonly acceptPlaintext: boolean;

  constructor(settings: EncryptionSettings = {}) {
    this.current = settings.key ? parseKey(settings.key, 'JOBWRIGHT_KEY') : null;
    const previous = (settings.previousKeys ?? []).filter((k) => k.trim() !== '');
    if (previous.length > MAX_PREVIOUS_KEYS) {
      throw new ConfigError(
        'TOO_MANY_PREVIOUS_KEYS',
        `JOBWRIGHT_PREVIOUS_KEYS lists ${previous.length} keys, over the limit of ${MAX_PREVIOUS_KEYS}: ` +
          'drop keys no stored job is encrypted under any more',
      );
    }
    if (this.current) this.all.set(this.current.id, this.current);
    previous.forEach((value, i) => {
      const key = parseKey(value, `JOBWRIGHT_PREVIOUS_KEYS (key ${i + 1})`);
      if (!this.all.has(key.id)) this.all.set(key.id, key);
    });
    this.acceptPlaintext = settings.acceptPlaintext ?? false;
  }

  /** The keyring of the environment: JOBWRIGHT_KEY, JOBWRIGHT_PREVIOUS_KEYS, JOBWRIGHT_ACCEPT_PLAINTEXT. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Keyring {
    return new Keyring(settingsFromEnv(env));
  }

  /** Whether any key is held: without one, encrypted payloads can be neither made nor read. */
  get canDecrypt(): boolean {
    return this.all.size > 0;
  }

  /** `kid.iv.tag.ciphertext` (base64url parts) of `plaintext` under the current key. */
  encrypt(plaintext: string, jobName: string): string {
    if (!this.current) {
      throw new ConfigError(
        'ENCRYPTION_KEY_MISSING',
        `${jobName}.encrypted() is true but no JOBWRIGHT_KEY is set, so its payload cannot be stored: ` +
          'make a key with `npx artisan key:generate` and set JOBWRIGHT_KEY in every process that dispatches or runs jobs',
      );
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv).setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [this.current.id, iv, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext of `sealed`; a typed error names the key when none held opens it. */
  decrypt(sealed: string): string {
    const parts = sealed.split('.');
    const [id, iv, tag, body] = parts;
    if (parts.length !== 4 || !id || !iv || !tag || body === undefined) {
      throw new CorruptPayloadError(
        'CORRUPT_ENCRYPTED_PAYLOAD',
        'The stored encrypted payload is not in the form jobwright writes (key.iv.tag.data): the row was damaged',
      );
    }
    const key = this.all.get(id);
    if (!key) {
      throw new CorruptPayloadError(
        'UNKNOWN_ENCRYPTION_KEY',
        this.canDecrypt
          ? `The payload is encrypted under key ${id}, which is neither JOBWRIGHT_KEY nor in JOBWRIGHT_PREVIOUS_KEYS: ` +
              'add the key it was encrypted under to JOBWRIGHT_PREVIOUS_KEYS'
          : `The payload is encrypted under key ${id}, but this process has no JOBWRIGHT_KEY: set it (and JOBWRIGHT_PREVIOUS_KEYS after a rotation)`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(AAD).setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      throw new CorruptPayloadError(
        'PAYLOAD_DECRYPTION_FAILED',
        `The payload encrypted under key ${id} does not authenticate: it was changed or damaged in the store`,
        { cause: error },
      );
    }
  }
}

export function settingsFromEnv(env: NodeJS.ProcessEnv): EncryptionSettings {
  const accept = env.JOBWRIGHT_ACCEPT_PLAINTEXT;
  if (accept !== undefined && accept !== '' && accept !== '0' && accept !== '1') {
    throw new ConfigError(
      'INVALID_ACCEPT_PLAINTEXT',
      `JOBWRIGHT_ACCEPT_PLAINTEXT must be 1 (run plaintext payloads of encrypted classes during the switch-over) or 0, got ${JSON.stringify(accept)}`,
    );
  }
  return {
    key: env.JOBWRIGHT_KEY || undefined,
    previousKeys: (env.JOBWRIGHT_PREVIOUS_KEYS ?? '').split(','),
    acceptPlaintext: accept === '1',
  };
}

let envCache: { source: string; keyring: Keyring } | undefined;

/** The environment's keyring, made once per distinct setting (readers that were given none use it). */
export function environmentKeyring(env: NodeJS.ProcessEnv = process.env): Keyring {
  const source = [env.JOBWRIGHT_KEY, env.JOBWRIGHT_PREVIOUS_KEYS, env.JOBWRIGHT_ACCEPT_PLAINTEXT].join('\n');
  if (envCache?.source !== source) envCache = { source, keyring: Keyring.fromEnv(env) };
  return envCache.keyring;
}

/** A new random key, base64, for JOBWRIGHT_KEY. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}
