/**
 * The part of the `@opentelemetry/api` module that jobwright's tracing calls, typed structurally.
 * @opentelemetry/api is an optional peer: the published declarations must not import it, or a
 * TypeScript user without it (and `skipLibCheck: false`) gets errors. The real module fits these
 * types; `loadOtelApi` returns it as `OtelApi`, so tsc checks that here against the installed
 * package (a dev dependency).
 */

/** A W3C trace state (immutable: set/unset return a new one). */
export interface OtelTraceState {
  get(key: string): string | undefined;
  set(key: string, value: string): OtelTraceState;
  unset(key: string): OtelTraceState;
  serialize(): string;
}

/** A span context (trace id, span id, flags), as in W3C `traceparent`. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: OtelTraceState;
}

/** An OpenTelemetry context (immutable); only handed back to the API here. */
export interface OtelContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OtelContext;
  deleteValue(key: symbol): OtelContext;
}

export type OtelAttributes = Record<string, string | number | boolean>;

export interface OtelSpanOptions {
  /** A `SpanKind` value. */
  kind?: number;
  links?: Array<{ context: OtelSpanContext }>;
  attributes?: OtelAttributes;
}

export interface OtelSpan {
  spanContext(): OtelSpanContext;
  recordException(exception: Error): void;
  /** `code` is a `SpanStatusCode` value. */
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

export interface OtelTracer {
  startSpan(name: string, options: OtelSpanOptions, context: OtelContext): OtelSpan;
}

/** What tracing uses of `import('@opentelemetry/api')`; pass that module where an `OtelApi` is asked for. */
export interface OtelApi {
  context: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
  trace: {
    getTracer(name: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    isSpanContextValid(spanContext: OtelSpanContext): boolean;
  };
  propagation: {
    inject(context: OtelContext, carrier: Record<string, string>): void;
  };
  SpanKind: { readonly PRODUCER: number; readonly CONSUMER: number };
  SpanStatusCode: { readonly ERROR: number };
  createTraceState(raw: string): OtelTraceState;
}
