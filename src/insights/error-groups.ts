import { createHash } from 'node:crypto';
import type { StoredJob } from '../drivers/contract.js';

/**
 * Failures grouped by what went wrong: the first line of the error with the parts that differ
 * from job to job (ids, numbers, hex, quoted values, addresses) masked, so "SMTP 421 for user 17"
 * and "SMTP 421 for user 9" are one group. Computed from stored text only: no job class needed.
 */

export interface ErrorGroup {
  /** A short stable hash of the masked message: the group's id in URLs and forms. */
  fingerprint: string;
  /** The masked first line, e.g. `SMTP <n> for user <n>`. */
  pattern: string;
  /** The newest full error text of the group (first line and stack). */
  sample: string;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  queues: string[];
  jobNames: string[];
  /** Ids of the group's jobs among those read (newest first). */
  ids: string[];
}

/** Failed jobs read at most to build the groups, so a huge failed set cannot stall a page. */
export const MAX_GROUPED_FAILURES = 5000;
const MAX_PATTERN = 300;

const MASKS: Array<[RegExp, string]> = [
  // UUIDs and ULIDs (job ids, request ids)
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, '<id>'],
  // e-mail addresses and URLs' query strings vary per job
  [/\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, '<email>'],
  [/\?[^\s"']*/g, '?<query>'],
  // long hex (hashes, tokens, object ids) before plain numbers
  [/\b(0x)?[0-9a-f]{8,}\b/gi, '<hex>'],
  // quoted values
  [/"[^"\n]{1,200}"/g, '"<s>"'],
  [/'[^'\n]{1,200}'/g, "'<s>'"],
  // numbers, with decimals or units glued on (12ms, 3.5s, 42)
  [/\d+(\.\d+)?/g, '<n>'],
];

/** The first line of an error with what varies between jobs masked. */
export function maskError(text: string | null): string {
  const firstLine = (text ?? '').split('\n', 1)[0]!.trim();
  let masked = firstLine;
  for (const [pattern, replacement] of MASKS) masked = masked.replace(pattern, replacement);
  masked = masked.replace(/(<n>)([^\s<]*<n>)+/g, '<n>');
  return masked.length > MAX_PATTERN ? `${masked.slice(0, MAX_PATTERN - 1)}…` : masked || '(no error text)';
}

export function fingerprintOf(pattern: string): string {
  return createHash('sha256').update(pattern).digest('hex').slice(0, 12);
}

/** Groups failed jobs (newest first in, largest group first out; ties by newest). */
export function groupFailures(
  jobs: Array<Pick<StoredJob, 'id' | 'queueName' | 'jobName' | 'errorMessage' | 'failedAt' | 'updatedAt'>>,
): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const job of jobs) {
    const pattern = maskError(job.errorMessage);
    const at = job.failedAt ?? job.updatedAt;
    let group = groups.get(pattern);
    if (!group) {
      group = {
        fingerprint: fingerprintOf(pattern),
        pattern,
        sample: job.errorMessage ?? '',
        count: 0,
        firstSeen: at,
        lastSeen: at,
        queues: [],
        jobNames: [],
        ids: [],
      };
      groups.set(pattern, group);
    }
    group.count++;
    group.ids.push(job.id);
    if (at < group.firstSeen) group.firstSeen = at;
    if (at > group.lastSeen) {
      group.lastSeen = at;
      group.sample = job.errorMessage ?? '';
    }
    if (!group.queues.includes(job.queueName)) group.queues.push(job.queueName);
    if (!group.jobNames.includes(job.jobName)) group.jobNames.push(job.jobName);
  }
  return [...groups.values()].sort(
    (a, b) => b.count - a.count || b.lastSeen.getTime() - a.lastSeen.getTime(),
  );
}
