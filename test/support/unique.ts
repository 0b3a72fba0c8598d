import { randomBytes } from 'node:crypto';

/**
 * A name no other run can have: random, not derived from the file name or the pid, so that two
 * copies of the suite against the same PostgreSQL and Redis (or leftovers of an interrupted run)
 * never share a schema, database or key prefix. Lowercase letters, digits and `_` only, so it is
 * valid as a PostgreSQL identifier and a Redis prefix alike.
 */
export function uniqueName(label: string): string {
  return `${label}_${randomBytes(6).toString('hex')}`;
}
