import { InvalidJobError, PayloadError, StoreError } from '../../errors.js';

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
