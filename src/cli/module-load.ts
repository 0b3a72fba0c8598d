import { ConfigError } from '../errors.js';

/** Seconds a config or job file may take to load (its top-level await), unless set otherwise. */
export const DEFAULT_LOAD_SECONDS = 30;
const MAX_LOAD_SECONDS = 600;

/**
 * Imports a user's module within JOBWRIGHT_CONFIG_TIMEOUT seconds. A top-level await that never
 * settles would otherwise end the process with Node's silent exit code 13.
 */
export async function importWithin(
  loader: { import(id: string): Promise<unknown> },
  file: string,
  env: Record<string, string | undefined> = process.env,
): Promise<unknown> {
  const seconds = loadSeconds(env);
  let timer: NodeJS.Timeout | undefined;
  // Kept referenced: it is what keeps the process alive while the module awaits nothing.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ConfigError(
            'CONFIG_TIMEOUT',
            `${file} did not finish loading within ${seconds} s (JOBWRIGHT_CONFIG_TIMEOUT): a top-level await in it (or in a module it imports) never settles`,
          ),
        ),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([loader.import(file), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function loadSeconds(env: Record<string, string | undefined>): number {
  const raw = env.JOBWRIGHT_CONFIG_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOAD_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_LOAD_SECONDS) {
    throw new ConfigError(
      'INVALID_CONFIG',
      `JOBWRIGHT_CONFIG_TIMEOUT=${JSON.stringify(raw)} is not valid: use seconds above 0, up to ${MAX_LOAD_SECONDS}`,
    );
  }
  return seconds;
}

/** What a module threw, as text: it may throw null, a string or any value, not only an Error. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return `it threw the string ${JSON.stringify(value.slice(0, 200))}`;
  if (value === null || value === undefined) return `it threw ${value} (not an Error)`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value)?.slice(0, 200);
  } catch {}
  return `it threw ${text ?? String(value)} (not an Error)`;
}
