import * as m001 from './001_jobs_table.js';
import * as m002 from './002_leases_and_extras.js';
import * as m003 from './003_activity_log.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL with `{schema}` standing for the quoted schema name. */
  sql: string;
}

/** Every migration, in order. Append only: an applied migration is never edited. */
export const MIGRATIONS: Migration[] = [
  { version: 1, ...m001 },
  { version: 2, ...m002 },
  { version: 3, ...m003 },
];
