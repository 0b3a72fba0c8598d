import type { JobLifecycle, NewJob, TransitionResult } from './contract.js';

/**
 * Single-job forms of `settle`, for admin code and tests: each writes one outcome and says
 * whether it landed. A refused outcome (the store refused the job's data) throws its reason.
 */
async function one(driver: JobLifecycle, outcome: Parameters<JobLifecycle['settle']>[0]['outcomes'][number]) {
  const [result] = await driver.settle({ outcomes: [outcome] });
  if (result?.status === 'refused') throw new Error(result.reason);
  return { ok: result?.status === 'ok' } satisfies TransitionResult;
}

export function completeJob(
  driver: JobLifecycle,
  params: { id: string; leaseToken: string; next?: NewJob[] },
): Promise<TransitionResult> {
  return one(driver, { kind: 'complete', ...params });
}

export function retryJob(
  driver: JobLifecycle,
  params: { id: string; leaseToken: string; delayMs: number; error: string },
): Promise<TransitionResult> {
  return one(driver, { kind: 'retry', ...params });
}

export function failJob(
  driver: JobLifecycle,
  params: { id: string; leaseToken: string; error: string },
): Promise<TransitionResult> {
  return one(driver, { kind: 'fail', ...params });
}

export function releaseJob(
  driver: JobLifecycle,
  params: { id: string; leaseToken: string; delayMs?: number },
): Promise<TransitionResult> {
  return one(driver, { kind: 'release', ...params });
}
