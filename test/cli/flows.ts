import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import {
  artisanInProcess,
  Background,
  cleanEnv,
  FLAKY_JOB,
  makeProject,
  runArtisan,
  statusByQueue,
  useBuiltCli,
} from './helpers.js';

/**
 * The CLI's end-to-end flows, run against one store: every command is the real binary in a
 * child process, as a user or a supervisor would run it.
 */
export function describeCliFlows(
  store: string,
  setup: () => Promise<{ env: Record<string, string>; cleanup?: () => Promise<void>; migrated: RegExp }>,
  options: { skip?: boolean } = {},
): void {
  // Up to 300 s a test: each spawns up to a dozen artisan processes (about half a second of CPU
  // each to start); two suites at once on a slow 2-core machine took the longest past 120 s.
  describe.skipIf(options.skip)(`artisan on ${store}`, { timeout: 300_000 }, () => {
    let dir = '';
    let remove = () => {};
    let env: NodeJS.ProcessEnv = {};
    let cleanup: (() => Promise<void>) | undefined;
    const artisan = (...args: string[]) => runArtisan(args, dir, env);
    // Reading the state back: the same command run in this process (no child to start, each of
    // which costs half a second of CPU); \`binaryStatus\` checks once that the binary's is the same.
    const status = async () => {
      const r = await artisanInProcess(dir, ['queue:status', '--json'], env as Record<string, string>);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return statusByQueue(r.stdout);
    };
    const binaryStatus = async () => {
      const r = await artisan('queue:status', '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return statusByQueue(r.stdout);
    };

    beforeAll(async () => {
      await useBuiltCli();
      const project = makeProject(`{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }`);
      dir = project.dir;
      remove = project.remove;
      const s = await setup();
      env = cleanEnv(s.env);
      cleanup = s.cleanup;
      const migrated = await artisan('migrate');
      expect(migrated.code).toBe(0);
      // It names the store's own place: the file, the schema or the key prefix.
      expect(migrated.stdout).toMatch(s.migrated);
    }, 240_000);
    afterAll(async () => {
      Background.killAll();
      await cleanup?.();
      remove();
    });

    it('make:job writes a job that queue:work runs unchanged', async () => {
      const made = await artisan('make:job', 'WelcomeJob');
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/Created src\/app\/jobs\/welcome-job\.ts/);
      expect(made.stdout).toMatch(/Registered/);
      const again = await artisan('make', 'job', 'WelcomeJob');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already exists: nothing was written/);

      const sent = await artisan(
        'queue:dispatch',
        'WelcomeJob',
        '--payload',
        '{"recordId":"user-7"}',
        '--json',
      );
      expect(sent.stderr).toBe('');
      const { id } = JSON.parse(sent.stdout) as { id: string };
      expect((await binaryStatus()).default).toMatchObject({ pendingJobs: 1, completedJobs: 0 });
      expect((await status()).default).toMatchObject({ pendingJobs: 1, completedJobs: 0 });

      const worker = new Background(['queue:work', '--json-logs'], dir, env);
      try {
        await worker.waitFor(new RegExp(`"event":"job:done","jobId":"${id}"`));
      } finally {
        expect(await worker.stop('SIGTERM')).toBe(0);
      }
      const lines = worker.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.event)).toEqual([
        'worker:ready',
        'job:start',
        'job:done',
        'worker:stopping',
        'worker:exit',
      ]);
      expect(lines[2]).toMatchObject({ jobName: 'WelcomeJob', queue: 'default', attempt: 1 });
      expect((await status()).default).toMatchObject({ pendingJobs: 0, completedJobs: 1, workersCount: 0 });
    });

    it('queue:retry-failed and queue:clear-failed change what queue:status shows', async () => {
      writeFileSync(join(dir, 'src/app/jobs/flaky-job.ts'), FLAKY_JOB);
      const marker = join(dir, 'flaky-ok');
      const payload = JSON.stringify({ marker });
      for (let i = 0; i < 3; i++) {
        expect(
          (await artisan('queue:dispatch', 'FlakyJob', '--payload', payload, '--queue', 'flaky')).code,
        ).toBe(0);
      }
      // --max-jobs recycles: the worker exits 0 by itself once three attempts have ended.
      const first = await artisan('queue:work', '--queue', 'flaky', '--max-jobs', '3');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/FAILED +FlakyJob .*marker missing/);
      expect(first.stdout).toMatch(/recycling: processed 3 jobs/);
      expect((await status()).flaky).toMatchObject({ failedJobs: 3, pendingJobs: 0 });

      const listed = await artisan('queue:failed', '--queue', 'flaky', '--json');
      const failed = JSON.parse(listed.stdout) as Array<{ id: string; errorMessage: string }>;
      expect(failed).toHaveLength(3);
      expect(failed[0]!.errorMessage).toMatch(/marker missing/);
      const table = await artisan('queue:failed');
      expect(table.stdout).toMatch(/FlakyJob +1\/1 .*marker missing/);

      const one = await artisan('queue:retry-failed', failed[0]!.id);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/Retried 1 failed job\./);
      expect((await status()).flaky).toMatchObject({ failedJobs: 2, pendingJobs: 1 });

      writeFileSync(marker, 'ok');
      const second = await artisan('queue:work', '--queue', 'flaky', '--max-jobs', '1');
      expect(second.code).toBe(0);
      expect((await status()).flaky).toMatchObject({ failedJobs: 2, pendingJobs: 0, completedJobs: 1 });

      const cleared = await artisan('queue:clear-failed', '--queue', 'flaky');
      expect(cleared.stdout).toMatch(/Deleted 2 failed jobs\./);
      expect((await status()).flaky).toMatchObject({ failedJobs: 0, completedJobs: 1 });

      const unknown = await artisan('queue:retry', '01ZZZZZZZZZZZZZZZZZZZZZZZZ');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/were not failed jobs/);
      const none = await artisan('queue:retry-failed');
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/pass --all/);
    });

    it('queue:workers lists a worker started in another process with its jobs done, until it stops', async () => {
      // A lease of ten minutes: the heartbeat (a third of it) cannot be what publishes the count.
      const worker = new Background(['queue:work', '--queue', 'w1,w2', '--concurrency', '3'], dir, {
        ...env,
        JOB_LEASE_SECONDS: '600',
      });
      try {
        await worker.waitFor(/Working 'w1', 'w2' with concurrency 3/);
        type Listed = { pid: number; queues: string[]; concurrency: number; jobsDone: number };
        const listed = async () => {
          const r = await artisanInProcess(dir, ['queue:workers', '--json'], env as Record<string, string>);
          return (JSON.parse(r.stdout) as Listed[]).filter((w) => w.pid === worker.child.pid);
        };
        // The worker registers itself right after that line: one pool over both queues, in order.
        const workers = await waitFor(
          'the pool of the worker to be listed',
          async () => {
            const found = await listed();
            return found.length === 1 && found;
          },
          30_000,
        );
        expect(workers[0]!.queues).toEqual(['w1', 'w2']);
        expect(workers[0]).toMatchObject({ concurrency: 3, jobsDone: 0 });
        const table = await artisan('queue:workers');
        expect(table.stdout).toMatch(new RegExp(`\\s${worker.child.pid}\\s+w1,w2\\s+3\\s`));
        // Each queue of the pool counts its slots.
        expect((await status()).w1).toMatchObject({ workersCount: 3 });
        expect((await status()).w2).toMatchObject({ workersCount: 3 });

        const sent = await artisan(
          'queue:dispatch',
          'WelcomeJob',
          '--payload',
          '{"recordId":"w"}',
          '--queue',
          'w1',
        );
        expect(sent.code).toBe(0);
        await worker.waitFor(/DONE +WelcomeJob/);
        await waitFor(
          'queue:workers to count the finished job',
          async () => (await listed()).some((w) => w.queues[0] === 'w1' && w.jobsDone === 1),
          30_000,
        );
      } finally {
        expect(await worker.stop('SIGINT')).toBe(0);
      }
      expect(worker.stdout).toMatch(/received SIGINT/);
      const after = JSON.parse((await artisan('queue:workers', '--json')).stdout) as Array<{ pid: number }>;
      expect(after.filter((w) => w.pid === worker.child.pid)).toEqual([]);
    });

    it('queue:prune removes finished jobs older than the age, and pause/resume report', async () => {
      const kept = await artisan('queue:prune', '--older-than', '1h', '--json');
      expect(JSON.parse(kept.stdout)).toMatchObject({ deleted: 0 });
      // Every store the CLI reaches can pause a queue: no 'does not support' outcome is accepted.
      const paused = await artisan('queue:pause', 'default');
      expect(paused.stderr).toBe('');
      expect(paused.code).toBe(0);
      expect((await status()).default).toMatchObject({ paused: true });
      expect((await artisan('queue:resume', 'default')).code).toBe(0);
      expect((await status()).default?.paused ?? false).toBe(false);
      // The completed jobs become older than 1 s by themselves: prune until it finds them.
      const pruned = await waitFor(
        'completed jobs older than 1 s to be pruned',
        async () => {
          const r = await artisan('queue:prune', '--older-than', '1s', '--status', 'completed');
          expect(r.code).toBe(0);
          return /Pruned [1-9]/.test(r.stdout) && r;
        },
        30_000,
      );
      expect(pruned.stdout).toMatch(/Pruned [1-9]\d* completed jobs? older than 1 s/);
      expect((await status()).default?.completedJobs ?? 0).toBe(0);
      expect(existsSync(join(dir, 'jobwright.config.ts'))).toBe(true);
      expect(readFileSync(join(dir, 'src/app/jobs/welcome-job.ts'), 'utf8')).toMatch(/class WelcomeJob/);
    });
  });
}
