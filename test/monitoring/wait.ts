import type { JobDispatcher, JobRecord } from '../../src/index.js';

/** Polls until the job reaches one of `statuses`; generous by default (2 shared cores). */
export async function waitForStatus(
  dispatcher: JobDispatcher,
  id: string,
  statuses: Array<JobRecord['status']>,
  timeoutMs = 15_000,
): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await dispatcher.find(id);
    if (record && statuses.includes(record.status)) return record;
    if (Date.now() > deadline) {
      throw new Error(`job ${id} did not reach ${statuses.join('/')} (now ${record?.status ?? 'missing'})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until `check` returns true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
