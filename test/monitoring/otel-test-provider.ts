import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  type Exception,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

/**
 * A minimal tracer provider and context manager written against the OpenTelemetry API
 * interfaces, so the tracing tests need no SDK package: spans are recorded in `finished`.
 */
export class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => this.with(context, () => fn(...args))) as unknown as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

export class RecordedSpan implements Span {
  readonly attributes: Attributes = {};
  readonly events: Array<{ name: string; attributes?: Attributes }> = [];
  readonly links: Link[];
  status: SpanStatus = { code: 0 };
  ended = false;
  private readonly context: SpanContext;

  constructor(
    public name: string,
    public readonly kind: SpanKind | undefined,
    public readonly parent: SpanContext | undefined,
    options: SpanOptions,
    private readonly onEnd: (span: RecordedSpan) => void,
  ) {
    this.links = [...(options.links ?? [])];
    Object.assign(this.attributes, options.attributes ?? {});
    this.context = {
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: 1,
    };
  }
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(name: string, attributes?: Attributes | TimeInput): this {
    this.events.push({
      name,
      attributes: typeof attributes === 'object' ? (attributes as Attributes) : undefined,
    });
    return this;
  }
  addLink(link: Link): this {
    this.links.push(link);
    return this;
  }
  addLinks(links: Link[]): this {
    this.links.push(...links);
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    const message = typeof exception === 'string' ? exception : (exception.message ?? '');
    this.events.push({ name: 'exception', attributes: { 'exception.message': message } });
  }
}

export class RecordingTracerProvider implements TracerProvider {
  readonly finished: RecordedSpan[] = [];
  getTracer(): Tracer {
    const startSpan = (name: string, options: SpanOptions = {}, context?: Context): RecordedSpan => {
      const parent = options.root ? undefined : trace.getSpanContext(context ?? contextApi().active());
      return new RecordedSpan(name, options.kind, parent, options, (s) => this.finished.push(s));
    };
    return {
      startSpan,
      startActiveSpan: ((name: string, ...rest: unknown[]) => {
        const fn = rest.pop() as (span: Span) => unknown;
        const options = (rest[0] as SpanOptions | undefined) ?? {};
        const ctx = (rest[1] as Context | undefined) ?? contextApi().active();
        const span = startSpan(name, options, ctx);
        return contextApi().with(trace.setSpan(ctx, span), () => fn(span));
      }) as Tracer['startActiveSpan'],
    };
  }
}

let api: typeof import('@opentelemetry/api') | undefined;
function contextApi() {
  return api!.context;
}

/** Registers the recording provider and context manager globally; returns them and an uninstall. */
export async function installRecordingTracer() {
  api = await import('@opentelemetry/api');
  const provider = new RecordingTracerProvider();
  const manager = new AsyncLocalContextManager();
  api.context.setGlobalContextManager(manager);
  api.trace.setGlobalTracerProvider(provider);
  return {
    provider,
    api,
    uninstall() {
      api!.trace.disable();
      api!.context.disable();
    },
  };
}
