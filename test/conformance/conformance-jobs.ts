import { Job, type JobContext } from '../../src/index.js';

/**
 * Jobs the conformance suite runs. Their behaviour comes from the payload, and they report to
 * a recorder kept in this process under the payload's `run` key, so one class serves every test.
 */
export interface ProbeEvent {
  n: number;
  type: 'start' | 'done' | 'error' | 'aborted' | 'failed-hook' | 'retry-delay';
  attempt: number;
  at: number;
  detail?: string;
}

export class Recorder {
  readonly events: ProbeEvent[] = [];
  active = 0;
  maxActive = 0;

  add(event: Omit<ProbeEvent, 'at'>): void {
    this.events.push({ ...event, at: performance.now() });
  }

  of(type: ProbeEvent['type'], n?: number): ProbeEvent[] {
    return this.events.filter((e) => e.type === type && (n === undefined || e.n === n));
  }

  /** Job numbers in the order they started. */
  startOrder(): number[] {
    return this.of('start').map((e) => e.n);
  }

  private readonly gates = new Map<string, { opened: Promise<void>; open: () => void }>();

  /** Resolves once the test opens gate `name`: a job waits for an event of the test, not for time. */
  gate(name: string): Promise<void> {
    return this.gateNamed(name).opened;
  }

  open(name: string): void {
    this.gateNamed(name).open();
  }

  private gateNamed(name: string) {
    let gate = this.gates.get(name);
    if (!gate) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = { opened, open };
      this.gates.set(name, gate);
    }
    return gate;
  }
}

const recorders = new Map<string, Recorder>();

export function recorderFor(run: string): Recorder {
  let rec = recorders.get(run);
  if (!rec) {
    rec = new Recorder();
    recorders.set(run, rec);
  }
  return rec;
}

export function dropRecorder(run: string): void {
  recorders.delete(run);
}

export interface ProbeOptions {
  sleepMs?: number;
  /** Throw on the first `failTimes` attempts. */
  failTimes?: number;
  maxAttempts?: number;
  retryDelaySeconds?: number;
  timeoutSeconds?: number | null;
  queue?: string;
  priority?: number;
  /** Ignore the abort signal and keep running to the end of `sleepMs`. */
  ignoreAbort?: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export class ProbeJob extends Job {
  constructor(
    public run: string,
    public n: number,
    public options: ProbeOptions = {},
  ) {
    super();
  }

  override jobName(): string {
    return 'conformance.Probe';
  }

  async handle(ctx: JobContext): Promise<void> {
    const rec = recorderFor(this.run);
    rec.add({ n: this.n, type: 'start', attempt: ctx.attempt, detail: ctx.jobId });
    rec.active++;
    rec.maxActive = Math.max(rec.maxActive, rec.active);
    ctx.signal.addEventListener(
      'abort',
      () => rec.add({ n: this.n, type: 'aborted', attempt: ctx.attempt }),
      {
        once: true,
      },
    );
    try {
      if (this.options.sleepMs)
        await sleep(this.options.sleepMs, this.options.ignoreAbort ? undefined : ctx.signal);
      if (ctx.attempt <= (this.options.failTimes ?? 0)) {
        rec.add({ n: this.n, type: 'error', attempt: ctx.attempt });
        throw new Error(`probe ${this.n} failed on attempt ${ctx.attempt}`);
      }
      rec.add({ n: this.n, type: 'done', attempt: ctx.attempt });
    } finally {
      rec.active--;
    }
  }

  override maxAttempts(): number {
    return this.options.maxAttempts ?? 3;
  }

  override retryDelay(attempt: number): number {
    recorderFor(this.run).add({ n: this.n, type: 'retry-delay', attempt });
    return this.options.retryDelaySeconds ?? 0.05;
  }

  override queueName(): string {
    return this.options.queue ?? 'default';
  }

  override priority(): number {
    return this.options.priority ?? 0;
  }

  override timeout(): number | null {
    return this.options.timeoutSeconds === undefined ? 30 : this.options.timeoutSeconds;
  }

  override failed(error: Error): void {
    recorderFor(this.run).add({ n: this.n, type: 'failed-hook', attempt: 0, detail: error.message });
  }
}

/** A job that runs inline at dispatch. */
export class InlineProbeJob extends ProbeJob {
  override jobName(): string {
    return 'conformance.InlineProbe';
  }

  override shouldQueue(): boolean {
    return false;
  }
}

/** A job that dispatches a follow-up job from its handle. */
export class SpawningJob extends Job {
  constructor(
    public run: string,
    public n: number,
  ) {
    super();
  }

  override jobName(): string {
    return 'conformance.Spawning';
  }

  async handle(ctx: JobContext): Promise<void> {
    recorderFor(this.run).add({ n: this.n, type: 'done', attempt: ctx.attempt });
    await spawnDispatcher.dispatch?.(new ProbeJob(this.run, this.n + 1));
  }
}

/** Where SpawningJob dispatches to (the test's dispatcher). */
export const spawnDispatcher: { dispatch?: (job: Job) => Promise<string> } = {};

export const CONFORMANCE_JOBS = [ProbeJob, InlineProbeJob, SpawningJob];
