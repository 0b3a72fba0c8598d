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

/** Runs the scripts on one client by EVALSHA, without defining commands on the caller's client. */
export class ScriptRunner {
  private readonly scripts = loadScripts();

  constructor(private readonly client: RedisClient) {}

  async run<T = unknown>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const script = this.scripts.get(name)!;
    try {
      return (await this.client.evalsha(script.sha, keys.length, ...keys, ...args)) as T;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.client.eval(script.source, keys.length, ...keys, ...args)) as T;
    }
  }
}
