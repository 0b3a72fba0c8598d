import { environmentKeyring, type Keyring } from '../encryption.js';
import { CorruptPayloadError } from '../errors.js';
import type { Job } from '../job.js';
import { isEncryptedText } from '../sealed-payload.js';

/**
 * A payload stored in clear for a class that says `encrypted()` was not written by jobwright
 * (or predates the switch): running it would trust data that skipped the encryption, so the job
 * fails, unless JOBWRIGHT_ACCEPT_PLAINTEXT=1 allows it while old jobs drain.
 */
export function refusePlaintext(instance: Job, stored: string, keys: Keyring | undefined): void {
  if (instance.encrypted?.() !== true || isEncryptedText(stored)) return;
  if ((keys ?? environmentKeyring()).acceptPlaintext) return;
  throw new CorruptPayloadError(
    'PLAINTEXT_PAYLOAD_REFUSED',
    `${instance.jobName()}.encrypted() is true but this job's stored payload is plaintext, so it was refused: ` +
      'dispatch it again through jobwright with JOBWRIGHT_KEY set, or set JOBWRIGHT_ACCEPT_PLAINTEXT=1 while ' +
      'jobs stored before encryption was switched on drain',
  );
}
