import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Resource samples of a fault-test worker process, for the soak: one JSON line per interval in a
 * file of its own (FAULT_SAMPLES), read by the soak runner (test/chaos/soak.ts).
 */
export interface Sample {
  pid: number;
  at: number;
  rssMb: number;
  heapMb: number;
  /** Event-loop delay over the interval, 99th percentile and maximum, in ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Open handles and requests (process.getActiveResourcesInfo). */
  handles: number;
  /** Of those, TCP sockets: the store connections. */
  sockets: number;
}

/** Appends a sample every `everyMs` until the returned function is called. */
export function startSampling(file: string, everyMs: number): () => void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const take = () => {
    const resources = process.getActiveResourcesInfo();
    const memory = process.memoryUsage();
    const sample: Sample = {
      pid: process.pid,
      at: Date.now(),
      rssMb: Math.round((memory.rss / 2 ** 20) * 10) / 10,
      heapMb: Math.round((memory.heapUsed / 2 ** 20) * 10) / 10,
      loopP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
      loopMaxMs: Math.round(loop.max / 1e4) / 100,
      handles: resources.length,
      sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
    };
    loop.reset();
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  };
  const timer = setInterval(take, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    loop.disable();
  };
}

export function readSamples(file: string): Sample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{') && l.endsWith('}'))
    .map((l) => JSON.parse(l) as Sample);
}
