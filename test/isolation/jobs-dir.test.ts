import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Background, cleanEnv, makeProject, runArtisan, statusByQueue } from '../cli/helpers.js';
import { waitUntil } from './harness.js';

/** A jobsDir job without `static module`: the isolate finds it through the file artisan loaded. */
const DIR_JOB = `import { isMainThread } from 'node:worker_threads';
import { Job, type JobIsolation } from 'jobwright';

export class DirJob extends Job {
  mode: JobIsolation = 'thread';
  override jobName() {
    return 'DirJob';
  }
  override isolation(): JobIsolation {
    return this.mode;
  }
  override maxAttempts() {
    return 1;
  }
  handle() {
    // Proves where it ran: a worker thread, or a child process with an IPC channel to the worker.
    const inside = this.mode === 'thread' ? !isMainThread : typeof process.send === 'function';
    if (!inside) throw new Error('DirJob did not run isolated (' + this.mode + ')');
  }
}
`;

let dir = '';
let remove = () => {};
const env = cleanEnv({ QUEUE_CONNECTION: 'sqlite' });

beforeAll(() => {
  const project = makeProject(`{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }`);
  dir = project.dir;
  remove = project.remove;
  writeFileSync(join(dir, 'src/app/jobs/dir-job.ts'), DIR_JOB);
});

afterAll(() => {
  Background.killAll();
  remove();
});

it('artisan queue:work runs an isolated jobsDir class in a thread and in a process', {
  timeout: 300_000,
}, async () => {
  for (const mode of ['thread', 'process']) {
    const r = await runArtisan(['queue:dispatch', 'DirJob', '--payload', JSON.stringify({ mode })], dir, env);
    expect(r.stderr).toBe('');
  }
  const worker = new Background(['queue:work', '--concurrency', '2'], dir, env);
  let counts: Record<string, unknown> = {};
  await waitUntil(async () => {
    const status = await runArtisan(['queue:status', '--json'], dir, env);
    counts = statusByQueue(status.stdout).default ?? {};
    return Number(counts.completedJobs) + Number(counts.failedJobs) === 2;
  }, 280_000);
  const failed = await runArtisan(['queue:failed'], dir, env);
  expect(counts.completedJobs, failed.stdout).toBe(2);
  expect(await worker.stop()).toBe(0);
});
