import type { DispatchHook, JobDispatcher } from '../dispatcher.js';
import { MissingDependencyError } from '../errors.js';
import { scrubJobError } from '../logging/sensitive.js';
import { encodeMeta, parseMeta } from '../worker/chain.js';
import type { JobMiddleware } from '../worker/run-job.js';
import { toError } from '../worker/run-job.js';
import type { OtelApi, OtelAttributes, OtelSpanContext } from './otel-api.js';

/** @opentelemetry/api is an optional peer: loaded on demand, a clear error when missing. */
export async function loadOtelApi(
  importer: () => Promise<unknown> = () => import('@opentelemetry/api'),
): Promise<OtelApi> {
  // The real module's type, inside the body only (kept out of the declarations): returning it as
  // OtelApi makes tsc check that the installed package fits the structural type.
  type OtelModule = typeof import('@opentelemetry/api');
  try {
    const mod = (await importer()) as OtelModule & { default?: OtelModule };
    return mod.trace ? mod : (mod.default as OtelModule);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingDependencyError(
        'MISSING_DEPENDENCY',
        "Tracing needs the '@opentelemetry/api' package: npm install @opentelemetry/api@^1.9",
        { cause: error },
      );
    }
    throw error;
  }
}

export interface TracingOptions {
  /** The tracer's name; 'jobwright' by default. */
  tracerName?: string;
  /** The OpenTelemetry API module to use, when it is not the one `import('@opentelemetry/api')` finds. */
  api?: OtelApi;
  /** Resolve false instead of rejecting when @opentelemetry/api is not installed (for code that traces when it can). */
  ifInstalled?: boolean;
}

/** The value of `messaging.system`. */
export const MESSAGING_SYSTEM = 'jobwright';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const enabled = new WeakSet<JobDispatcher>();

/** W3C traceparent of a span context. */
export function formatTraceparent(sc: OtelSpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The remote span context a saved traceparent names, or null when it is missing or malformed. */
export function parseTraceparent(
  api: OtelApi,
  traceparent: unknown,
  tracestate?: unknown,
): OtelSpanContext | null {
  if (typeof traceparent !== 'string') return null;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m) return null;
  const sc: OtelSpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: Number.parseInt(m[3]!, 16),
    isRemote: true,
  };
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= 512) {
    sc.traceState = api.createTraceState(tracestate);
  }
  return api.trace.isSpanContextValid(sc) ? sc : null;
}

/**
 * Traces the dispatcher's jobs with OpenTelemetry, following the messaging conventions:
 * - at dispatch, a PRODUCER span `create <queue>` whose context is saved with the job
 *   (`meta.trace`: W3C `traceparent`/`tracestate` plus whatever the global propagator injects);
 * - each attempt runs in a CONSUMER span `process <queue>` that links to that context; spans
 *   the job starts in `handle()` are its children.
 * Attributes: `messaging.system` = 'jobwright', `messaging.destination.name` = queue,
 * `messaging.operation` / `messaging.operation.type` / `messaging.operation.name` = 'create' or
 * 'process', `messaging.message.id` = job id, plus `jobwright.job.name` and `jobwright.job.attempt`.
 * Without a registered tracer provider the API is a no-op and nothing is saved. Resolves true
 * once tracing is on (false only with `ifInstalled` when the package is missing).
 */
export async function enableTracing(
  dispatcher: JobDispatcher,
  options: TracingOptions = {},
): Promise<boolean> {
  if (enabled.has(dispatcher)) return true;
  let api: OtelApi;
  try {
    api = options.api ?? (await loadOtelApi());
  } catch (error) {
    if (options.ifInstalled && error instanceof MissingDependencyError) return false;
    throw error;
  }
  if (enabled.has(dispatcher)) return true;
  enabled.add(dispatcher);
  const name = options.tracerName ?? 'jobwright';
  dispatcher.onDispatch(tracingDispatchHook(api, name));
  dispatcher.use(tracingMiddleware(api, name));
  return true;
}

function messagingAttributes(operation: 'create' | 'process', queue: string, id: string): OtelAttributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': queue,
    'messaging.operation': operation,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.message.id': id,
  };
}

/** Saves the dispatching code's trace context with each job, through a `create` span. */
export function tracingDispatchHook(api: OtelApi, tracerName = 'jobwright'): DispatchHook {
  return (row) => {
    const active = api.context.active();
    const span = api.trace.getTracer(tracerName).startSpan(
      `create ${row.queueName}`,
      {
        kind: api.SpanKind.PRODUCER,
        attributes: {
          ...messagingAttributes('create', row.queueName, row.id),
          'jobwright.job.name': row.jobName,
        },
      },
      active,
    );
    const carrier: Record<string, string> = {};
    api.propagation.inject(api.trace.setSpan(active, span), carrier);
    const sc = span.spanContext();
    // Saved even without a registered propagator: the worker's link needs only the span context.
    if (api.trace.isSpanContextValid(sc)) {
      carrier.traceparent ??= formatTraceparent(sc);
      const state = sc.traceState?.serialize();
      if (state) carrier.tracestate ??= state;
    }
    span.end();
    if (Object.keys(carrier).length === 0) return;
    row.meta = encodeMeta({ ...parseMeta(row.meta), trace: carrier });
  };
}

/** Settles when the attempt is interrupted (timeout, lost lease, shutdown), so the span ends then. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(toError(signal.reason));
    else signal.addEventListener('abort', () => reject(toError(signal.reason)), { once: true });
  });
}

/** Runs each attempt inside a `process <queue>` span linked to the dispatch context. */
export function tracingMiddleware(api: OtelApi, tracerName = 'jobwright'): JobMiddleware {
  return async (job, ctx, record, next) => {
    const trace = parseMeta(record.meta).trace;
    const origin = parseTraceparent(api, trace?.traceparent, trace?.tracestate);
    const links: Array<{ context: OtelSpanContext }> = origin ? [{ context: origin }] : [];
    const span = api.trace.getTracer(tracerName).startSpan(
      `process ${ctx.queueName}`,
      {
        kind: api.SpanKind.CONSUMER,
        links,
        attributes: {
          ...messagingAttributes('process', ctx.queueName, ctx.jobId),
          'jobwright.job.name': job.jobName(),
          'jobwright.job.attempt': ctx.attempt,
          'jobwright.job.max_attempts': ctx.maxAttempts,
        },
      },
      api.context.active(),
    );
    try {
      await api.context.with(api.trace.setSpan(api.context.active(), span), () =>
        Promise.race([next(), untilAborted(ctx.signal)]),
      );
    } catch (cause) {
      const error = scrubJobError(job, cause);
      span.recordException(error);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
      throw error;
    } finally {
      span.end();
    }
  };
}
