import { InvalidJobError, PayloadError, StoreError } from '../../errors.js';
import type { NewJob } from '../contract.js';

/**
 * JSON text PostgreSQL's jsonb refuses: the escape of a NUL character, or of a lone surrogate
 * (JSON.stringify writes valid pairs as characters, so any surrogate escape is a lone one). An
 * even run of backslashes before it means the backslash itself was escaped: that is plain text.
 */
const JSONB_REFUSES = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function refusedPayload(what: string, payload: string): PayloadError | null {
  if (!JSONB_REFUSES.test(payload)) return null;
  return new PayloadError(
    'PAYLOAD_REJECTED',
    `PostgreSQL cannot store ${what}: it holds a NUL character (\\u0000) or an unpaired surrogate, which jsonb refuses; remove them or encode the value (e.g. base64)`,
  );
}

/** Throws the typed error for a job, or any link of its chain, whose payload PostgreSQL would refuse. */
export function assertStorableJob(job: NewJob): void {
  const own = refusedPayload(`the payload of ${job.jobName}`, job.payload);
  if (own) throw own;
  if (job.meta === null || !job.meta.includes('"chain"')) return;
  let links: unknown;
  try {
    links = (JSON.parse(job.meta) as { chain?: unknown }).chain;
  } catch {
    return;
  }
  if (!Array.isArray(links)) return;
  links.forEach((link: { payload?: unknown; jobName?: unknown }, i) => {
    if (typeof link?.payload !== 'string') return;
    const error = refusedPayload(`chain link ${i + 2} (${String(link.jobName)})'s payload`, link.payload);
    if (error) throw error;
  });
}

/** Turns the PostgreSQL errors a caller can cause into typed errors that say what to change. */
export function storeError(error: unknown): Error {
  const e = error as { code?: string; message?: string };
  if (e?.code === '22P02' || e?.code === '22P05' || e?.code === '2202E') {
    return new PayloadError('PAYLOAD_REJECTED', `PostgreSQL refused the job payload: ${e.message}`, {
      cause: error,
    });
  }
  if (e?.code === '23505') {
    return new InvalidJobError('DUPLICATE_JOB_ID', `A job with this id is already stored: ${e.message}`, {
      cause: error,
    });
  }
  if (e?.code === '22001') {
    return new InvalidJobError('VALUE_TOO_LONG', `A job field is too long for its column: ${e.message}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new StoreError('STORE_ERROR', String(error));
}
