import { afterEach, describe, expect, it } from 'vitest';
import { checkRun, summarize } from '../support/fault/checker.js';
import { LedgerJob } from '../support/fault/ledger-job.js';
import { NetworkHost, netnsSupport } from '../support/fault/netns.js';
import { type SpawnPlace, waitFor } from '../support/fault/scenarios.js';
import { TcpProxy } from '../support/fault/tcp-proxy.js';
import { DATABASE_URL, REDIS_URL, serviceAvailable } from '../support/services.js';
import { type ChaosRun, chaosRun } from './stores.js';

/**
 * Many hosts: one worker process runs on another "host" (a network namespace joined by a veth
 * pair; a TCP proxy on the host side of the pair forwards to the local PostgreSQL or Redis, which
 * listen on 127.0.0.1 only). Mid-run that host is cut off (its link goes down; its processes live
 * on): its jobs are recovered by the worker on this host after the lease, and when the link comes
 * back its late completions are refused by the token. Where `ip netns` is not available the cut is
 * played by the proxy (connections freeze, new ones hang).
 */
// JW_CHAOS_NO_NETNS=1 plays the fallback on a machine that has network namespaces.
const ip = process.env.JW_CHAOS_NO_NETNS === '1' ? null : await netnsSupport();
if (!ip) console.warn('ip netns is not available here: the cut host is played by a TCP proxy instead');
const available = { postgres: await serviceAvailable('postgres'), redis: await serviceAvailable('redis') };

interface RemoteHost {
  place: SpawnPlace;
  cut(): Promise<void>;
  restore(): Promise<void>;
  remove(): Promise<void>;
  kind: string;
}

async function remoteHost(storeUrl: string, defaultPort: number): Promise<RemoteHost> {
  const target = new URL(storeUrl);
  const upstream = { host: target.hostname, port: Number(target.port) || defaultPort };
  const urlVia = (host: string, port: number) => {
    const u = new URL(storeUrl);
    u.hostname = host;
    u.port = String(port);
    return u.toString();
  };
  if (ip) {
    const host = await NetworkHost.create();
    const forward = await TcpProxy.start(upstream, host.hostAddress);
    return {
      kind: `netns ${host.name}`,
      place: { spec: { url: urlVia(host.hostAddress, forward.port) }, wrap: (argv) => host.wrap(argv) },
      cut: () => host.cut(),
      restore: () => host.restore(),
      remove: async () => {
        await forward.close();
        await host.remove();
      },
    };
  }
  const proxy = await TcpProxy.start(upstream);
  return {
    kind: 'tcp proxy',
    place: { spec: { url: urlVia('127.0.0.1', proxy.port) } },
    cut: async () => proxy.cut(),
    restore: async () => proxy.restore(),
    remove: () => proxy.close(),
  };
}

let run: ChaosRun | undefined;
let remote: RemoteHost | undefined;
afterEach(async () => {
  await run?.cleanup();
  await remote?.remove();
  run = remote = undefined;
});

for (const driver of ['postgres', 'redis'] as const) {
  describe.skipIf(!available[driver])(`many hosts on ${driver}`, () => {
    it('a host cut off mid-job: its jobs are done elsewhere after the lease, its late completions refused', async () => {
      const url = driver === 'postgres' ? DATABASE_URL : REDIS_URL;
      remote = await remoteHost(url, driver === 'postgres' ? 5432 : 6379);
      run = chaosRun(driver);
      const timeouts = { timeoutMs: '2000' };
      const far = run.spawn(2, {}, { ...remote.place, spec: { ...remote.place.spec, ...timeouts } });
      await far.ready;
      // The jobs ignore their abort signal: the cut host really finishes them, late.
      const ids = await run.producer.dispatchMany(
        Array.from({ length: 30 }, (_, n) => new LedgerJob(n, { sleepMs: 1500, ignoreAbort: true })),
      );
      await waitFor(
        'the far host running two jobs',
        () => run!.lines().filter((l) => l.kind === 'start' && l.pid === far.pid).length >= 2,
        30_000,
      );
      await remote.cut();
      const near = run.spawn(2);
      await near.ready;
      const cutJobs = run
        .lines()
        .filter((l) => l.kind === 'start' && l.pid === far.pid)
        .map((l) => l.n);
      console.info(`${driver} many hosts (${remote.kind}): cut off with jobs ${cutJobs.join(', ')}`);
      await waitFor(
        "the cut host's jobs done on this host",
        () =>
          cutJobs.every((n) =>
            run!.lines().some((l) => l.kind === 'done' && l.n === n && l.pid === near.pid),
          ),
        60_000,
      );
      await remote.restore();
      await waitFor(
        'all 30 jobs finished',
        async () => {
          const s = await run!.producer.stats('fault');
          return s.completedJobs + s.failedJobs >= 30;
        },
        120_000,
      );
      // Back on the network, the far worker's completions of the recovered jobs are refused.
      await waitFor(
        'the far host refused (token) for a job it ran while cut off',
        () => run!.lines().some((l) => l.kind === 'refused' && l.pid === far.pid && cutJobs.includes(l.n)),
        60_000,
      );
      const report = await checkRun({
        ledger: run.ledger,
        dispatched: ids.map((id, n) => ({ n, id })),
        driver: run.driver,
      });
      console.info(`${driver} many hosts (${remote.kind}): ${summarize(report)}`);
      expect(report.lost).toEqual([]);
      expect(report.stuck).toEqual([]);
      expect(report.dupDone).toEqual([]);
      expect(report.completed).toBe(30);
      for (const n of cutJobs)
        expect(report.lines.some((l) => l.kind === 'done' && l.n === n && l.pid === far.pid)).toBe(false);
    }, 240_000);
  });
}
