/**
 * Starts fault-test worker processes (./ledger-worker.ts) with real `child_process.fork`, so
 * tests can SIGKILL, SIGSTOP and SIGCONT them for real.
 *
 *   const w = spawnLedgerWorker({ driver: 'sqlite', spec: { file }, ledger, concurrency: 5,
 *                                 env: { JOB_LEASE_SECONDS: '1' } });
 *   await w.ready;            // the worker runs
 *   w.kill('SIGKILL');        // a crash; `await w.exited` resolves with the signal
 *   await w.stop();           // graceful: SIGTERM-like IPC message, resolves on exit
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FaultDriverName, FaultDriverSpec } from './drivers.js';

const SCRIPT = fileURLToPath(new URL('./ledger-worker.ts', import.meta.url));

/**
 * `--import` value that loads tsx in a child process whatever its working directory: a bare
 * `tsx` resolves from the child's cwd, which a test may have moved to a temporary folder.
 */
export const TSX_IMPORT = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface LedgerWorkerOptions {
  driver: FaultDriverName;
  spec: FaultDriverSpec;
  ledger: string;
  queue?: string;
  concurrency?: number;
  /** Extra environment, e.g. JOB_LEASE_SECONDS, JOB_LEASE_GRACE_SECONDS, JOB_POLL_INTERVAL_MS. */
  env?: Record<string, string>;
  /** Runs node through another program (a network namespace: NetworkHost.wrap in ./netns.ts). */
  wrap?: (execArgv: string[]) => { execPath: string; execArgv: string[] };
}

export interface LedgerWorker {
  child: ChildProcess;
  pid: number;
  /** Resolves once the worker is working its queue; rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves when the process has exited, with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly alive: boolean;
  /** How many `worker:error` events (a store it could not reach, say) the worker has reported. */
  readonly errors: number;
  kill(signal: NodeJS.Signals): void;
  /** Asks for a graceful stop and waits for the exit. */
  stop(): Promise<void>;
}

export function spawnLedgerWorker(options: LedgerWorkerOptions): LedgerWorker {
  const execArgv = ['--import', TSX_IMPORT];
  const child = fork(SCRIPT, [], {
    ...(options.wrap ? options.wrap(execArgv) : { execArgv }),
    env: {
      ...process.env,
      FAULT_DRIVER: options.driver,
      FAULT_DRIVER_SPEC: JSON.stringify(options.spec),
      FAULT_LEDGER: options.ledger,
      FAULT_QUEUE: options.queue ?? 'fault',
      FAULT_CONCURRENCY: String(options.concurrency ?? 5),
      ...options.env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let alive = true;
  let errors = 0;
  child.on('message', (message: { type?: string }) => {
    if (message?.type === 'worker-error') errors++;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => {
      if (message?.type === 'ready') resolve();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`ledger worker exited before it was ready (code ${code}, signal ${signal})`)),
    );
  });
  // A rejection after readiness (the exit of a killed worker) is expected: do not report it.
  ready.catch(() => {});
  return {
    child,
    pid: child.pid!,
    ready,
    exited,
    get alive() {
      return alive;
    },
    get errors() {
      return errors;
    },
    kill(signal) {
      if (alive) child.kill(signal);
    },
    async stop() {
      if (!alive) return;
      child.send({ type: 'stop' });
      await exited;
    },
  };
}
