/**
 * The small interface every benchmarked system is driven through, whether it is a jobwright
 * driver or a peer library. One adapter object works one namespace (a PostgreSQL schema, a
 * Redis key prefix, a SQLite file) so that runs never see each other's jobs.
 */

/** What every benchmark job carries: its dispatch time (ms since the epoch, sub-ms precision). */
export interface JobBody {
  t: number;
  i: number;
}

export type JobHandler = (body: JobBody) => void;

export interface Adapter {
  /** Makes the namespace empty and ready (drops and recreates it, runs migrations). */
  reset(): Promise<void>;
  enqueueOne(body: JobBody): Promise<void>;
  /** Stores many jobs in as few round trips as the system allows. */
  enqueueBulk(bodies: JobBody[]): Promise<void>;
  /** Starts working the benchmark queue with `concurrency` jobs at once; calls `onJob` as each job starts. */
  startWorker(concurrency: number, onJob: JobHandler): Promise<void>;
  /** Stops the worker only; the adapter stays open for enqueueing. */
  stopWorker(): Promise<void>;
  /** Stops the worker (if any) and closes every connection; safe to call twice. */
  stop(): Promise<void>;
  /** Removes the namespace (schema, keys, file). Call after `stop`. */
  drop(): Promise<void>;
}

export type Store = 'memory' | 'sqlite' | 'postgres' | 'redis';

export interface SystemModule {
  /** The installed version of the library measured. */
  version: string;
  /** The settings used, as printed beside the results. */
  settings: string;
  /** False when workers must run in the process that enqueues (the memory driver). */
  multiProcess: boolean;
  /** An adapter on namespace `ns`; the namespace is created by `reset()`, only joined otherwise. */
  open(ns: string): Promise<Adapter>;
}

export interface SystemInfo {
  id: string;
  label: string;
  store: Store;
  family: 'jobwright' | 'peer';
  /** Loads the adapter module, or returns why it is not available. */
  load(): Promise<SystemModule | string>;
}

/** Current time in ms since the epoch with sub-ms precision; comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
