import * as jobwright from '../index.js';

/**
 * Class names `make:job` refuses: a class named like a global (`Error`, `Promise`) or like a
 * jobwright export (`JobContext`) hides that name in its own file, so the generated code stops
 * type-checking, or a later import of it clashes.
 */

/** jobwright's type-only exports (not visible at run time); a test keeps this list complete. */
export const JOBWRIGHT_TYPE_EXPORTS = [
  'ActivityEntry',
  'ActivityEvent',
  'AttachedLogger',
  'AttachLoggerOptions',
  'ClassLookup',
  'ClearFailedParams',
  'CompleteParams',
  'ConnectionName',
  'DatabaseQueueDriverOptions',
  'DispatchHook',
  'DispatcherPlugin',
  'DispatchOptions',
  'DriverCapabilities',
  'EnqueueParams',
  'FailParams',
  'HandleWithLoggingOptions',
  'HeartbeatParams',
  'HeartbeatResult',
  'JobClass',
  'JobConfig',
  'JobContext',
  'JobDispatcherOptions',
  'JobEventBase',
  'JobEventName',
  'JobEvents',
  'JobMetrics',
  'JobMetricsOptions',
  'JobMiddleware',
  'JobRecord',
  'JobStatus',
  'LeaseRef',
  'ListJobsOptions',
  'ListParams',
  'ListResult',
  'MemoryQueueDriverOptions',
  'MetricsRequestHandler',
  'MetricsServer',
  'MetricsServerOptions',
  'NewActivityEntry',
  'NewJob',
  'PluginHost',
  'PgPoolLike',
  'ProjectConfig',
  'PruneParams',
  'QueueCounts',
  'QueueDriver',
  'QueueFilter',
  'QueueStats',
  'RecoverParams',
  'RecoverResult',
  'RedisClientLike',
  'RedisQueueDriverOptions',
  'RegisterWorkerParams',
  'ReleaseParams',
  'ReserveParams',
  'ReservedJob',
  'RetryBackoff',
  'RetryFailedParams',
  'RetryParams',
  'SensitiveJob',
  'ServiceActivityLogger',
  'SqliteQueueDriverOptions',
  'StoredJob',
  'ThroughputBucket',
  'TracingOptions',
  'TransitionResult',
  'WakeListener',
  'WorkerInfo',
];

/** TypeScript's global types that are not values at run time (so not on globalThis). */
const TYPESCRIPT_GLOBAL_TYPES = [
  'ArrayLike',
  'Awaited',
  'Capitalize',
  'ConstructorParameters',
  'Exclude',
  'Extract',
  'InstanceType',
  'Lowercase',
  'NonNullable',
  'Omit',
  'OmitThisParameter',
  'Parameters',
  'Partial',
  'Pick',
  'PromiseLike',
  'PropertyKey',
  'Readonly',
  'ReadonlyArray',
  'ReadonlyMap',
  'ReadonlySet',
  'Record',
  'Required',
  'ReturnType',
  'TemplateStringsArray',
  'ThisParameterType',
  'ThisType',
  'Uncapitalize',
  'Uppercase',
];

/** What the name clashes with, or null when it is free. */
export function reservedNameClash(name: string): string | null {
  if (name in jobwright || JOBWRIGHT_TYPE_EXPORTS.includes(name)) return `jobwright's export ${name}`;
  if (name in globalThis || TYPESCRIPT_GLOBAL_TYPES.includes(name)) {
    return `the global ${name} of JavaScript/TypeScript`;
  }
  return null;
}
