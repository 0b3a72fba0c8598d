import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromIsolate, ToIsolate, WireError } from './protocol.js';

export type IsolateKind = 'thread' | 'process';

/** How an isolate ended. */
export interface IsolateExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The uncaught error (or out-of-memory error) that ended it, when there was one. */
  error?: WireError;
  /** The end of a child process's stderr: V8 writes "heap out of memory" there. */
  stderrTail?: string;
}

/** One worker thread or child process, seen the same way by the pool. */
export interface IsolateChannel {
  readonly kind: IsolateKind;
  /** The thread id or the process id. */
  readonly id: number;
  send(message: ToIsolate): void;
  /** Ends it now: `worker.terminate()` or SIGKILL (a job may catch SIGTERM). */
  kill(): void;
  /** Whether it keeps the worker's process alive (only while it runs a job). */
  hold(on: boolean): void;
}

export interface IsolateListeners {
  message(message: FromIsolate): void;
  exit(exit: IsolateExit): void;
}

// From source (tests, bench) the entry is TypeScript and starts through a bootstrap that registers tsx.
const fromSource = import.meta.url.endsWith('.ts');
const ENTRY = new URL(`./child-entry.${fromSource ? 'ts' : 'js'}`, import.meta.url);
const BOOTSTRAP = new URL('./ts-bootstrap.mjs', import.meta.url);
const STDERR_TAIL = 4096;

/** Starts a worker thread or child process running the isolate program. */
export function startIsolate(
  kind: IsolateKind,
  memoryMb: number | null,
  listeners: IsolateListeners,
): IsolateChannel {
  return kind === 'thread' ? startThread(memoryMb, listeners) : startProcess(memoryMb, listeners);
}

function startThread(memoryMb: number | null, listeners: IsolateListeners): IsolateChannel {
  const worker = new Worker(fromSource ? BOOTSTRAP : ENTRY, {
    workerData: fromSource ? { entry: ENTRY.href, typeScript: '1' } : null,
    // Not the worker's own flags: some are refused in threads (and --inspect ports would clash).
    execArgv: [],
    resourceLimits: memoryMb === null ? undefined : { maxOldGenerationSizeMb: memoryMb },
  });
  let error: WireError | undefined;
  worker.on('message', (message: FromIsolate) => listeners.message(message));
  worker.on('error', (cause) => {
    error = { name: cause.name, message: cause.message, stack: cause.stack, code: codeOf(cause) };
  });
  worker.on('exit', (code) => listeners.exit({ code, signal: null, error }));
  worker.unref();
  return {
    kind: 'thread',
    id: worker.threadId,
    send: (message) => worker.postMessage(message),
    kill: () => void worker.terminate(),
    hold: (on) => (on ? worker.ref() : worker.unref()),
  };
}

function startProcess(memoryMb: number | null, listeners: IsolateListeners): IsolateChannel {
  const child: ChildProcess = fork(
    fileURLToPath(fromSource ? BOOTSTRAP : ENTRY),
    fromSource ? [ENTRY.href, '1'] : [],
    {
      execArgv: memoryMb === null ? [] : [`--max-old-space-size=${memoryMb}`],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'json',
    },
  );
  let error: WireError | undefined;
  let stderrTail = '';
  // Passed through to the worker's stderr, and the end kept for the error of a crash.
  child.stderr?.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  child.on('message', (message: FromIsolate) => {
    if (message.t === 'fatal') error = message.error;
    else listeners.message(message);
  });
  // An IPC write to a process that just died: its 'exit' reports the death.
  child.on('error', () => {});
  let exited = false;
  child.on('exit', (code, signal) => {
    if (exited) return;
    exited = true;
    // stderr may still hold the last lines (V8's out-of-memory report): read them first.
    const finish = () => listeners.exit({ code, signal, error, stderrTail: stderrTail || undefined });
    if (child.stderr && !child.stderr.readableEnded) child.stderr.once('close', finish);
    else finish();
  });
  const hold = (on: boolean) => {
    const handles = [child, child.channel, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
  };
  hold(false);
  return {
    kind: 'process',
    id: child.pid ?? -1,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => void child.kill('SIGKILL'),
    hold,
  };
}

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
