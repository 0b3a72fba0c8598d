import { statSync } from 'node:fs';
import { StoreLostError } from '../../errors.js';

/** How often a driver checks that its file is still the one it opened. */
export const IDENTITY_CHECK_MS = 2000;

/**
 * The store file a driver opened, by device and inode. A process that keeps a deleted or
 * replaced file open goes on reading and writing the old inode, which no other process sees:
 * its jobs are lost and new jobs wait forever in the new file. Comparing the path's identity
 * with the open one (a stat call, every few seconds) turns that into an error.
 */
export class FileIdentity {
  private constructor(
    private readonly file: string,
    private readonly dev: number,
    private readonly ino: number,
  ) {}

  /** The identity of `file` now; null for an in-memory database or a file that cannot be read. */
  static of(file: string): FileIdentity | null {
    if (file === ':memory:' || file === '') return null;
    const stat = statSync(file, { throwIfNoEntry: false });
    return stat ? new FileIdentity(file, stat.dev, stat.ino) : null;
  }

  /** A StoreLostError when the path no longer leads to the opened file, else null. */
  check(): StoreLostError | null {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(this.file, { throwIfNoEntry: false });
    } catch {
      // EACCES, EIO: not a proof that the file changed.
      return null;
    }
    if (!stat) {
      return new StoreLostError(
        'STORE_FILE_DELETED',
        `The SQLite store ${this.file} was deleted while this process had it open; its jobs were in the deleted file. ` +
          'This driver stops: restart the process to open the new file (and do not delete a store that workers use).',
      );
    }
    if (stat.dev !== this.dev || stat.ino !== this.ino) {
      return new StoreLostError(
        'STORE_FILE_REPLACED',
        `The SQLite store ${this.file} was replaced by another file while this process had it open. ` +
          'This driver stops: restart the process to open the new file.',
      );
    }
    return null;
  }
}
