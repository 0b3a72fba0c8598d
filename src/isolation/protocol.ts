/**
 * The messages between a worker and its isolated threads or child processes. Everything that
 * crosses is plain JSON (payloads, results and progress travel as JSON text), so a thread and a
 * process behave the same and a job's result is what the store would keep.
 */

/** One attempt to run in the isolate. */
export interface RunTask {
  id: number;
  /** The file URL of the module that exports the job class (from the class, never from stored data). */
  module: string;
  /** A `jobsDir` file: loaded through jiti with `jobwright` mapped to the isolate's own copy. */
  project: boolean;
  jobName: string;
  /** `JSON.stringify(job.serialize())` of the instance the worker rebuilt. */
  payload: string;
  attempt: number;
  maxAttempts: number;
  jobId: string;
  queueName: string;
  /** The job's batch (`ctx.batchId`), or null. */
  batchId?: string | null;
}

/** An error as it crosses the boundary: enough to rebuild a readable one on the other side. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export type ToIsolate =
  | { t: 'run'; task: RunTask }
  | { t: 'abort'; id: number; reason: WireError }
  | { t: 'progress-ack'; id: number; seq: number; error?: WireError };

export type FromIsolate =
  | { t: 'ready' }
  | { t: 'done'; id: number; result?: string }
  | { t: 'failed'; id: number; error: WireError }
  | { t: 'progress'; id: number; seq: number; value: string }
  /** `ctx.release(delay)` called in the isolate: the worker releases the job once the attempt ends. */
  | { t: 'release'; id: number; delaySeconds: number }
  /** An uncaught exception or unhandled rejection, sent by a child process just before it exits. */
  | { t: 'fatal'; error: WireError };

export function toWire(value: unknown): WireError {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      stack: value.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: typeof value === 'string' ? value : String(value) };
}

/** Rebuilds an error thrown in the isolate; its name, code and stack are kept for the stored message. */
export function fromWire(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  if (wire.code) (error as Error & { code?: string }).code = wire.code;
  return error;
}
