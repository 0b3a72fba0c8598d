import { monotonicFactory } from 'ulid';
import type { NewJob } from '../../src/index.js';

const nextId = monotonicFactory();

/**
 * The one fixture for a raw job row, as the dispatcher hands it to a driver (or as something
 * other than the dispatcher might have written it): plain defaults, which a test overrides.
 * Ids are ULIDs in the order made.
 */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: nextId(),
    queueName: 'default',
    jobName: 'test.Job',
    payload: '{}',
    maxAttempts: 3,
    priority: 0,
    timeoutSeconds: 30,
    delayMs: 0,
    availableAt: null,
    meta: null,
    ...overrides,
  };
}
