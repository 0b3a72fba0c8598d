import { afterEach, describe, expect, it } from 'vitest';
import { checkRun, summarize } from '../support/fault/checker.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { waitFor } from '../support/fault/scenarios.js';
import { TcpProxy } from '../support/fault/tcp-proxy.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';
import { type ChaosRun, chaosRun } from './stores.js';

/**
 * Half-open connections (RELIABILITY.md rule 5): the worker processes reach PostgreSQL or Redis
 * through a TCP proxy that, mid-run, stops passing bytes on every open connection without
 * closing any (the LISTEN / subscribe connection included). The workers must notice by their
 * answer timeouts (2 s here, below the 1.5 s + heartbeat lease of FAULT_ENV would be too tight on a
 * loaded machine), open new connections, and finish every job: lost 0, dup_done 0.
 */
const TIMEOUT_MS = 2000;
const available = { postgres: await serviceAvailable('postgres'), redis: await serviceAvailable('redis') };

let run: ChaosRun | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await run?.cleanup();
  await proxy?.close();
  run = proxy = undefined;
});

function through(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/** Wake-up connections open after `since`, as the store sees them. */
async function wakeConnections(driver: 'postgres' | 'redis', r: ChaosRun): Promise<number> {
  if (driver === 'postgres') {
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const schema = (r.driver as unknown as { schema: string }).schema;
      const { rows } = await client.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state IS NOT NULL',
        [`jw-chaos-${schema}-listen`],
      );
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  }
  const { Redis } = await import('ioredis');
  const admin = new Redis(REDIS_URL);
  try {
    const prefix = (r.driver as unknown as { prefix: string }).prefix;
    const [, n] = (await admin.call('PUBSUB', 'NUMSUB', `${prefix}:wake`)) as [string, number];
    return Number(n);
  } finally {
    admin.disconnect();
  }
}

for (const driver of ['postgres', 'redis'] as const) {
  describe.skipIf(!available[driver])(`half-open connections on ${driver}`, () => {
    it('the proxy freezes every worker connection mid-run: workers reconnect, lost 0, dup_done 0', async () => {
      const url = driver === 'postgres' ? DATABASE_URL : REDIS_URL;
      const target = new URL(url);
      proxy = await TcpProxy.start({
        host: target.hostname,
        port: Number(target.port) || (driver === 'postgres' ? 5432 : 6379),
      });
      // Only the workers go through the proxy; the producer and the checker talk to the store directly.
      run = chaosRun(driver, {
        workerSpec: { url: through(url, proxy.port), timeoutMs: String(TIMEOUT_MS) },
      });
      const workers = [run.spawn(4), run.spawn(4)];
      await Promise.all(workers.map((w) => w.ready));
      await waitFor(
        'both wake-up connections open',
        async () => (await wakeConnections(driver, run!)) >= 2,
        20_000,
      );
      const ids = await run.producer.dispatchMany(
        Array.from({ length: 400 }, (_, n) => new LedgerJob(n, { sleepMs: 20 })),
      );
      // Keeps jobs waiting until both workers are back: on a loaded machine the first worker to
      // reconnect could otherwise drain the queue alone before the second one's timeout fires.
      const topUp = async (): Promise<void> => {
        if ((await run!.producer.stats('fault')).pendingJobs >= 40) return;
        const more = Array.from({ length: 100 }, (_, k) => new LedgerJob(ids.length + k, { sleepMs: 20 }));
        ids.push(...(await run!.producer.dispatchMany(more)));
      };
      await waitFor(
        '100 jobs done',
        () => run!.lines().filter((l) => l.kind === 'done').length >= 100,
        60_000,
      );
      const openedBefore = proxy.opened;
      const frozenAt = Date.now();
      proxy.freeze();
      console.info(`${driver} half-open: froze ${proxy.frozen} connections`);
      await waitFor(
        'both workers completing jobs again after the freeze',
        async () => {
          const after = run!.lines().filter((l) => l.kind === 'done' && l.at > frozenAt + 100);
          if (workers.every((w) => after.some((l) => l.pid === w.pid))) return true;
          await topUp();
          return false;
        },
        120_000,
      );
      const resumedS =
        (Math.min(
          ...workers.map(
            (w) =>
              run!.lines().find((l) => l.kind === 'done' && l.pid === w.pid && l.at > frozenAt + 100)!.at,
          ),
        ) -
          frozenAt) /
        1000;
      // The wake-up connections were replaced too (the frozen ones still count on the server side).
      await waitFor(
        'new wake-up connections',
        async () => (await wakeConnections(driver, run!)) >= 4,
        120_000,
      );
      await waitFor(
        'every dispatched job finished',
        async () => {
          const s = await run!.producer.stats('fault');
          return s.completedJobs + s.failedJobs >= ids.length;
        },
        120_000,
      );
      const report = await checkRun({
        ledger: run.ledger,
        dispatched: ids.map((id, n) => ({ n, id })),
        driver: run.driver,
      });
      console.info(
        `${driver} half-open: ${summarize(report)}, first completion after the freeze ${resumedS.toFixed(1)} s, reconnects ${proxy.opened - openedBefore}`,
      );
      expect(proxy.opened).toBeGreaterThan(openedBefore);
      expect(report.lost).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.dupDone).toEqual([]);
      expect(report.completed).toBe(ids.length);
    }, 240_000);
  });
}
