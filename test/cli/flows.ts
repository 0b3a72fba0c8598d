import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Background, cleanEnv, FLAKY_JOB, makeProject, runArtisan, statusByQueue } from './helpers.js';

/**
 * The CLI's end-to-end flows, run against one store: every command is the real binary in a
 * child process, as a user or a supervisor would run it.
 */
export function describeCliFlows(
  store: string,
  setup: () => Promise<{ env: Record<string, string>; cleanup?: () => Promise<void> }>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip)(`artisan on ${store}`, { timeout: 120_000 }, () => {
    let dir = '';
    let remove = () => {};
    let env: NodeJS.ProcessEnv = {};
    let cleanup: (() => Promise<void>) | undefined;
    const artisan = (...args: string[]) => runArtisan(args, dir, env);
    const status = async () => {
      const r = await artisan('queue:status', '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return statusByQueue(r.stdout);
    };

    beforeAll(async () => {
      const project = makeProject(`{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }`);
      dir = project.dir;
      remove = project.remove;
      const s = await setup();
      env = cleanEnv(s.env);
      cleanup = s.cleanup;
      expect((await artisan('migrate')).code).toBe(0);
    });
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

    it('queue:workers lists a worker started in another process, until it stops', async () => {
      const worker = new Background(['queue:work', '--queue', 'w1,w2', '--concurrency', '3'], dir, env);
      try {
        await worker.waitFor(/Working 'w1', 'w2' with concurrency 3/);
        type Listed = { pid: number; queues: string[]; concurrency: number };
        let workers: Listed[] = [];
        // The worker registers itself right after that line: look until both of its queues show.
        for (let i = 0; i < 40 && workers.length < 2; i++) {
          const listed = await artisan('queue:workers', '--json');
          workers = (JSON.parse(listed.stdout) as Listed[]).filter((w) => w.pid === worker.child.pid);
        }
        expect(workers.map((w) => w.queues[0]).sort()).toEqual(['w1', 'w2']);
        expect(workers.every((w) => w.concurrency === 3)).toBe(true);
        const table = await artisan('queue:workers');
        expect(table.stdout).toMatch(new RegExp(`\\s${worker.child.pid}\\s+w1\\s+3\\s`));
        expect((await status()).w1).toMatchObject({ workersCount: 3 });
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
      await new Promise((r) => setTimeout(r, 1100));
      const pruned = await artisan('queue:prune', '--older-than', '1s', '--status', 'completed');
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toMatch(/Pruned [1-9]\d* completed jobs? older than 1 s/);
      expect((await status()).default?.completedJobs ?? 0).toBe(0);
      const paused = await artisan('queue:pause', 'default');
      if (paused.code === 0) {
        expect((await status()).default).toMatchObject({ paused: true });
        expect((await artisan('queue:resume', 'default')).code).toBe(0);
        expect((await status()).default?.paused ?? false).toBe(false);
      } else {
        expect(paused.stderr).toMatch(/does not support pausing/);
      }
      expect(existsSync(join(dir, 'jobwright.config.ts'))).toBe(true);
      expect(readFileSync(join(dir, 'src/app/jobs/welcome-job.ts'), 'utf8')).toMatch(/class WelcomeJob/);
    });
  });
}
