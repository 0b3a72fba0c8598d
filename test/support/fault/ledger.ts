import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/**
 * The ledger: one line per event, appended by the worker processes, read by the checker. It is
 * kept outside the store under test, so that counting does not trust the store's own word.
 *
 * Line format (tab-separated): kind, job number, job id, attempt, pid, wall-clock ms.
 * - start:   the job's handle() began (LedgerJob writes it)
 * - end:     handle() returned (the outcome is not recorded yet)
 * - done:    the store accepted the completion (the worker's `job:completed` event)
 * - refused: the store refused a transition: the lease was lost (`job:lease-lost`)
 * - failed:  the store recorded the job as failed (`job:failed`)
 */
export type LedgerKind = 'start' | 'end' | 'done' | 'refused' | 'failed';

export interface LedgerLine {
  kind: LedgerKind;
  n: number;
  jobId: string;
  attempt: number;
  pid: number;
  at: number;
}

const KINDS = new Set<LedgerKind>(['start', 'end', 'done', 'refused', 'failed']);

/** Appends one line. Small appends to an O_APPEND file do not interleave between processes. */
export function appendLedger(path: string, line: Omit<LedgerLine, 'at' | 'pid'>): void {
  const fields = [line.kind, line.n, line.jobId, line.attempt, process.pid, Date.now()];
  appendFileSync(path, `${fields.join('\t')}\n`);
}

export function readLedger(path: string): LedgerLine[] {
  if (!existsSync(path)) return [];
  const lines: LedgerLine[] = [];
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    const [kind, n, jobId, attempt, pid, at] = text.split('\t');
    // A process killed in the middle of a write can leave a torn last line: skip it.
    if (!kind || !KINDS.has(kind as LedgerKind) || at === undefined) continue;
    lines.push({
      kind: kind as LedgerKind,
      n: Number(n),
      jobId: jobId!,
      attempt: Number(attempt),
      pid: Number(pid),
      at: Number(at),
    });
  }
  return lines;
}
