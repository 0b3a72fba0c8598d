// The public API: re-exports only.

// Activity log, redaction, logs, metrics, tracing (monitoring).
export {
  ActivityLoggedJob,
  driverActivityLogger,
  type HandleWithLoggingOptions,
  type ServiceActivityLogger,
} from './activity/activity-logged-job.js';
export { activityMiddleware } from './activity/activity-middleware.js';
export { activityPlugin } from './activity/activity-plugin.js';
// Batches, schedules (second release).
export { type BatchOptions, type BatchRecord, MAX_BATCH_JOBS } from './batches/batch.js';
export {
  type ConnectionName,
  DEFAULT_CONFIG,
  exponentialBackoff,
  type JobConfig,
  loadConfig,
  type RetryBackoff,
} from './config.js';
export type { DispatchHook } from './dispatcher.js';
export {
  type DispatchOptions,
  JobDispatcher,
  type JobDispatcherOptions,
  type ListJobsOptions,
  type QueueStats,
} from './dispatcher.js';
export type { DispatcherPlugin, PluginHost } from './dispatcher-plugins.js';
export type * from './drivers/contract.js';
export { JOB_STATUSES } from './drivers/contract.js';
export { createDriver } from './drivers/factory.js';
export type {
  CounterHit,
  EnqueueResult,
  FlowControl,
  LimitState,
  QueueLimits,
  RateLimit,
} from './drivers/flow-contract.js';
export type {
  AttemptOutcome,
  AttemptRecord,
  ClassMetrics,
  DurationSummary,
  JobInsights,
  MetricCell,
  MetricPoint,
  MetricQuery,
  MetricSeries,
  RunningJob,
} from './drivers/insights.js';
export { canRecordInsights } from './drivers/insights.js';
export { MemoryQueueDriver, type MemoryQueueDriverOptions } from './drivers/memory/memory-driver.js';
export {
  DatabaseQueueDriver,
  type DatabaseQueueDriverOptions,
  type PgPoolLike,
} from './drivers/postgres/postgres-driver.js';
export {
  type RedisClientLike,
  RedisQueueDriver,
  type RedisQueueDriverOptions,
} from './drivers/redis/redis-driver.js';
export { SqliteQueueDriver, type SqliteQueueDriverOptions } from './drivers/sqlite/sqlite-driver.js';
export { type EncryptionSettings, generateKey, Keyring } from './encryption.js';
export {
  ConfigError,
  CorruptPayloadError,
  InvalidJobError,
  JobNameConflictError,
  JobTimeoutError,
  JobwrightError,
  MissingDependencyError,
  NotFoundError,
  PayloadError,
  StoreError,
  StoreLostError,
  UnknownJobError,
  WaitTimeoutError,
} from './errors.js';
export type { JobEventBase, JobEventName, JobEvents } from './events.js';
export type { QueueLimitsInput } from './flow/dispatch-flow.js';
export {
  type JobMiddlewareObject,
  RateLimited,
  ThrottlesExceptions,
  WithoutOverlapping,
} from './flow/middleware.js';
export { CancelledError } from './flow/run-flow.js';
export { batch, chain, configure, dispatch, dispatchJob, jobDispatcher, setJobDispatcher } from './global.js';
export { type ErrorGroup, groupFailures, maskError } from './insights/error-groups.js';
export { type ClassInsight, InsightsReader, type RunSummary } from './insights/reader.js';
export { Isolation, type IsolationStats } from './isolation/pool.js';
export { IsolationError } from './isolation/settings.js';
export {
  Job,
  type JobClass,
  type JobContext,
  type JobIsolation,
  type JobProgress,
  type JobRecord,
} from './job.js';
export {
  type AttachedLogger,
  type AttachLoggerOptions,
  attachLogger,
  LOG_LEVELS,
  logLevelFromEnv,
} from './logging/job-logger.js';
export {
  type ClassLookup,
  REDACTED,
  redactRecord,
  redactValue,
  type SensitiveJob,
  scrubJobError,
  sensitiveFieldsOf,
} from './logging/sensitive.js';
export {
  createJobMetrics,
  type JobMetrics,
  type JobMetricsOptions,
  jobMetrics,
} from './metrics/job-metrics.js';
export {
  type MetricsRequestHandler,
  type MetricsServer,
  type MetricsServerOptions,
  metricsHandler,
  startMetricsServer,
} from './metrics/metrics-server.js';
export { MAX_PAYLOAD_DEPTH } from './payload-rules.js';
export { defineConfig, type ProjectConfig } from './project-config.js';
export { globalRegistry, JobRegistry, registerJobs } from './registry.js';
export type { ScheduleInfo } from './schedules/schedule-info.js';
export { nextTicks, type ScheduleDefinition, type ScheduleOptions } from './schedules/schedule-rules.js';
export { ENCRYPTED } from './sealed-payload.js';
export { MAX_DELAY_SECONDS } from './time-rules.js';
export { enableTracing, MESSAGING_SYSTEM, type TracingOptions } from './tracing/job-tracing.js';
export type { JobMiddleware, JobMiddlewareFunction } from './worker/run-job.js';

// The config loader hands this module to user files that import 'jobwright' (package-namespace.ts).
import * as self from './index.js';
import { setPackageNamespace } from './package-namespace.js';

setPackageNamespace(self);
