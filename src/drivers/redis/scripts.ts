import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StoreError } from '../../errors.js';
import type { RedisClient } from './connection.js';

/**
 * The Lua scripts, read from the .lua files beside this module (`lua/`): the build must copy
 * that folder next to the compiled file (see docs/redis.md). Each script is sent as EVALSHA; on
 * NOSCRIPT (a restarted or flushed server) it is sent once as EVAL, which caches it again.
 */
export const SCRIPT_NAMES = [
  'enqueue',
  'reserve',
  'start',
  'settle',
  'count-due',
  'heartbeat',
  'recover',
  'retry-failed',
  'remove-finished',
  'counts',
  'search',
  'register-worker',
  'unregister-worker',
  'workers',
  'pause',
  'log-activity',
  'activity',
  'job-data',
  'batch-store',
  'batch-cancel',
  'claim-tick',
  'batch-apply',
  'outbox-insert',
  'flow-enqueue',
  'flow-reserve',
  'flow-cancel',
  'flow-keys',
  'flow-cancelled',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface Script {
  source: string;
  sha: string;
}

let loaded: Map<ScriptName, Script> | undefined;

function readLua(name: string): string {
  const url = new URL(`./lua/${name}.lua`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (cause) {
    throw new StoreError(
      'REDIS_SCRIPT_MISSING',
      `The Redis driver's Lua script ${url.pathname} is missing: the lua/ folder must be copied beside redis-driver.js`,
      { cause },
    );
  }
}

/** Every script with the shared helpers of lib.lua in front, read once per process. */
export function loadScripts(): Map<ScriptName, Script> {
  if (loaded) return loaded;
  // history.lua holds the attempt history and metric helpers of settle and recover.
  const lib = `${readLua('lib')}\n${readLua('history')}`;
  const scripts = new Map<ScriptName, Script>();
  for (const name of SCRIPT_NAMES) {
    const source = `${lib}\n${readLua(name)}`;
    scripts.set(name, { source, sha: createHash('sha1').update(source).digest('hex') });
  }
  loaded = scripts;
  return scripts;
}

/**
 * The writes that must survive a failover when `waitReplicas` is set: a forgotten job, attempt or
 * completion. (A forgotten reservation or heartbeat only lets a job start once more.)
 */
const REPLICATED = new Set<ScriptName>([
  'enqueue',
  'flow-enqueue',
  'flow-cancel',
  'start',
  'settle',
  'recover',
  'retry-failed',
  'batch-store',
  'claim-tick',
  'batch-apply',
  'outbox-insert',
]);

/** `WAIT numreplicas timeout` after each replicated write (0 replicas: no WAIT). */
export interface Replication {
  replicas: number;
  timeoutMs: number;
}

/** Runs the scripts on one client by EVALSHA, without defining commands on the caller's client. */
export class ScriptRunner {
  private readonly scripts = loadScripts();

  constructor(
    private readonly client: RedisClient,
    private readonly replication: Replication = { replicas: 0, timeoutMs: 0 },
  ) {}

  async run<T = unknown>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    if (this.replication.replicas > 0 && REPLICATED.has(name) && this.client.pipeline) {
      return this.runReplicated<T>(name, keys, args);
    }
    const script = this.scripts.get(name)!;
    try {
      return (await this.client.evalsha(script.sha, keys.length, ...keys, ...args)) as T;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.client.eval(script.source, keys.length, ...keys, ...args)) as T;
    }
  }

  /**
   * The script and a `WAIT` in one pipeline, so that on a cluster both go to the master that took
   * the write. Resolves only once `replicas` replicas have it: a promoted replica then has every
   * write the caller saw acknowledged. When fewer confirm within the timeout the call fails
   * (REDIS_NOT_REPLICATED): the write may or may not survive a failover, so it is not acknowledged.
   */
  private async runReplicated<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const script = this.scripts.get(name)!;
    const { replicas, timeoutMs } = this.replication;
    const send = async (byHash: boolean) => {
      const pipeline = this.client.pipeline!();
      if (byHash) pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
      else pipeline.eval(script.source, keys.length, ...keys, ...args);
      pipeline.call('WAIT', replicas, timeoutMs);
      return ((await pipeline.exec()) ?? []) as Array<[Error | null, unknown]>;
    };
    let replies = await send(true);
    if (replies[0]?.[0]?.message.startsWith('NOSCRIPT')) replies = await send(false);
    const [scriptError, result] = replies[0] ?? [new Error('no reply'), null];
    const [waitError, acked] = replies[1] ?? [new Error('no reply to WAIT'), 0];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (Number(acked) < replicas) {
      throw new StoreError(
        'REDIS_NOT_REPLICATED',
        `Redis confirmed the ${name} write on ${Number(acked)} of ${replicas} replicas within ${timeoutMs} ms (waitReplicas): it may be lost if its master fails now; check the replicas`,
      );
    }
    return result as T;
  }
}
