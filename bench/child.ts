/**
 * A benchmark worker process. The parent sends `init` (which system and namespace), waits for
 * `ready`, then sends `go` to every child at once so that they start together; progress goes
 * back every 50 ms, and `stop` ends the process after its worker stopped.
 */
import { loadSystem } from './systems.js';
import { type Adapter, type JobBody, preciseNow } from './types.js';

export interface ChildInit {
  type: 'init';
  system: string;
  ns: string;
  concurrency: number;
  /** Record the dispatch-to-start latency of every job. */
  latency: boolean;
}

export type ParentMessage = ChildInit | { type: 'go' } | { type: 'stop' };

export interface Progress {
  count: number;
  firstAt: number;
  lastAt: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | ({ type: 'progress' } & Progress)
  | ({ type: 'stopped'; latencies: number[]; cpuMicros: number } & Progress)
  | { type: 'error'; message: string };

const send = (message: ChildMessage) => process.send?.(message);

let adapter: Adapter | undefined;
let init: ChildInit | undefined;
let timer: NodeJS.Timeout | undefined;
let cpuAtGo: NodeJS.CpuUsage | undefined;
let cpuAtLast: NodeJS.CpuUsage | undefined;
const progress: Progress = { count: 0, firstAt: 0, lastAt: 0 };
const latencies: number[] = [];

function onJob(body: JobBody): void {
  const now = preciseNow();
  if (progress.count === 0) progress.firstAt = now;
  progress.count++;
  progress.lastAt = now;
  if (init?.latency) latencies.push(now - body.t);
  // CPU used up to the latest job: the worker's own cost, robust against a busy machine.
  if (cpuAtGo) cpuAtLast = process.cpuUsage(cpuAtGo);
}

async function handle(message: ParentMessage): Promise<void> {
  if (message.type === 'init') {
    init = message;
    const system = await loadSystem(message.system);
    adapter = await system.open(message.ns);
    send({ type: 'ready' });
  } else if (message.type === 'go') {
    cpuAtGo = process.cpuUsage();
    await adapter!.startWorker(init!.concurrency, onJob);
    timer = setInterval(() => send({ type: 'progress', ...progress }), 50);
  } else if (message.type === 'stop') {
    clearInterval(timer);
    await adapter?.stop();
    const cpuMicros = cpuAtLast ? cpuAtLast.user + cpuAtLast.system : 0;
    send({ type: 'stopped', latencies, cpuMicros, ...progress });
    // Exit normally (not killed) so that --cpu-prof can write its profile.
    setTimeout(() => process.exit(0), 50);
  }
}

process.on('message', (message: ParentMessage) => {
  handle(message).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 50);
  });
});
process.on('disconnect', () => process.exit(0));
