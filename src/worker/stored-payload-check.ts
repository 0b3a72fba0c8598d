import { environmentKeyring, type Keyring } from '../encryption.js';
import { CorruptPayloadError } from '../errors.js';
import type { Job } from '../job.js';
import { rememberStoredNames } from '../logging/stored-names.js';
import { isEncryptedText, storedSensitiveNames } from '../sealed-payload.js';

/**
 * What a worker checks of a stored payload once the job is rebuilt from it:
 * - the sensitive names stored at dispatch count for this run even if this worker's version of
 *   the class lacks them (a rolling deploy), so errors, logs, activity and traces hide them;
 * - a payload stored in clear for a class that says `encrypted()` was not written by jobwright
 *   (or predates the switch): running it would trust data that skipped the encryption, so the
 *   job fails, unless JOBWRIGHT_ACCEPT_PLAINTEXT=1 allows it while old jobs drain.
 */
export function checkStoredPayload(instance: Job, stored: string, keys: Keyring | undefined): void {
  rememberStoredNames(instance, storedSensitiveNames(stored));
  if (instance.encrypted?.() !== true || isEncryptedText(stored)) return;
  if ((keys ?? environmentKeyring()).acceptPlaintext) return;
  throw new CorruptPayloadError(
    'PLAINTEXT_PAYLOAD_REFUSED',
    `${instance.jobName()}.encrypted() is true but this job's stored payload is plaintext, so it was refused: ` +
      'dispatch it again through jobwright with JOBWRIGHT_KEY set, or set JOBWRIGHT_ACCEPT_PLAINTEXT=1 while ' +
      'jobs stored before encryption was switched on drain',
  );
}
