import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage, Progress } from './child.js';
import { type Adapter, type JobBody, preciseNow } from './types.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface WorkerGroup {
  /** Starts every worker at once. */
  go(): Promise<void>;
  /** Resolves when `target` jobs have started across the group, or when `timeoutMs` passed. */
  waitFor(target: number, timeoutMs: number): Promise<Progress & { timedOut: boolean }>;
  /** Stops the workers; resolves with the totals, every recorded latency and the CPU µs used up to the last job. */
  stop(): Promise<Progress & { latencies: number[]; cpuMicros: number }>;
}

export interface GroupOptions {
  system: string;
  ns: string;
  processes: number;
  concurrency: number;
  latency: boolean;
}

function merge(parts: Progress[]): Progress {
  const started = parts.filter((p) => p.count > 0);
  return {
    count: parts.reduce((sum, p) => sum + p.count, 0),
    firstAt: started.length ? Math.min(...started.map((p) => p.firstAt)) : 0,
    lastAt: started.length ? Math.max(...started.map((p) => p.lastAt)) : 0,
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** A run that makes no progress for this long is given up early (reported partial), not waited out. */
const STALL_MS = 10_000;

/** Waits until `count()` reaches `target`; false on the time limit or a stall. */
async function waitForCount(count: () => number, target: number, timeoutMs: number, failed: () => boolean) {
  let last = -1;
  let lastChange = Date.now();
  return waitUntil(() => {
    const now = count();
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
    return failed() || now >= target || Date.now() - lastChange > STALL_MS;
  }, timeoutMs).then((ok) => ok && count() >= target);
}

/** Worker child processes (`bench/child.ts` under tsx). BENCH_CHILD_ARGS adds node flags, e.g. --cpu-prof. */
export async function forkWorkers(options: GroupOptions): Promise<WorkerGroup> {
  const extra = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
  const children: ChildProcess[] = [];
  const progress: Progress[] = [];
  const stopped: Array<(Progress & { latencies: number[]; cpuMicros: number }) | undefined> = [];
  let failure: string | undefined;
  let ready = 0;
  for (let i = 0; i < options.processes; i++) {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx', ...extra], stdio: 'inherit' });
    progress.push({ count: 0, firstAt: 0, lastAt: 0 });
    stopped.push(undefined);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') ready++;
      else if (message.type === 'progress') progress[i] = message;
      else if (message.type === 'stopped') {
        progress[i] = message;
        stopped[i] = message;
      } else if (message.type === 'error') failure = message.message;
    });
    child.on('exit', (code) => {
      if (code !== 0 && !stopped[i]) failure ??= `worker process exited with code ${code}`;
    });
    const init: ParentMessage = {
      type: 'init',
      system: options.system,
      ns: options.ns,
      concurrency: options.concurrency,
      latency: options.latency,
    };
    child.send(init);
    children.push(child);
  }
  const checkFailure = () => {
    if (failure) throw new Error(`Benchmark worker failed: ${failure}`);
  };
  const allReady = await waitUntil(() => ready === children.length || failure !== undefined, 60_000);
  checkFailure();
  if (!allReady) throw new Error('Benchmark workers did not start within 60 s');
  return {
    async go() {
      for (const child of children) child.send({ type: 'go' } satisfies ParentMessage);
    },
    async waitFor(target, timeoutMs) {
      const done = await waitForCount(
        () => merge(progress).count,
        target,
        timeoutMs,
        () => failure !== undefined,
      );
      checkFailure();
      return { ...merge(progress), timedOut: !done };
    },
    async stop() {
      for (const child of children) child.send({ type: 'stop' } satisfies ParentMessage);
      const all = await waitUntil(() => stopped.every(Boolean) || failure !== undefined, 30_000);
      if (!all) for (const child of children) child.kill('SIGKILL');
      checkFailure();
      const parts = stopped.filter((s) => s !== undefined);
      return {
        ...merge(parts),
        latencies: parts.flatMap((s) => s.latencies),
        cpuMicros: parts.reduce((sum, s) => sum + s.cpuMicros, 0),
      };
    },
  };
}

/** The same group interface over a worker in this process, for the memory driver (one process only). */
export function inProcessWorker(adapter: Adapter, concurrency: number, latency: boolean): WorkerGroup {
  const progress: Progress = { count: 0, firstAt: 0, lastAt: 0 };
  const latencies: number[] = [];
  let cpuAtGo: NodeJS.CpuUsage | undefined;
  let cpuAtLast: NodeJS.CpuUsage | undefined;
  const onJob = (body: JobBody) => {
    const now = preciseNow();
    if (progress.count === 0) progress.firstAt = now;
    progress.count++;
    progress.lastAt = now;
    if (latency) latencies.push(now - body.t);
    if (cpuAtGo) cpuAtLast = process.cpuUsage(cpuAtGo);
  };
  return {
    async go() {
      cpuAtGo = process.cpuUsage();
      await adapter.startWorker(concurrency, onJob);
    },
    async waitFor(target, timeoutMs) {
      const done = await waitForCount(
        () => progress.count,
        target,
        timeoutMs,
        () => false,
      );
      return { ...progress, timedOut: !done };
    },
    async stop() {
      await adapter.stopWorker();
      return { ...progress, latencies, cpuMicros: cpuAtLast ? cpuAtLast.user + cpuAtLast.system : 0 };
    },
  };
}
