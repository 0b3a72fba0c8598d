/**
 * The source `make:job` writes. It must type-check under `strict` and run unchanged, store the
 * fields its constructor sets (the default `serialize()`), and leave every setting that has a
 * configured default (attempts, delay, timeout, queue) to the config rather than freeze today's
 * value into the file: those are written as commented-out overrides to fill in.
 */
export function jobTemplate(className: string, options: { sync: boolean }): string {
  const queueLine = options.sync
    ? `  // false: dispatch() runs the job inline, right away, instead of queueing it.
  override shouldQueue(): boolean {
    return false;
  }
`
    : `  // Return false to run the job inline at dispatch() instead of queueing it.
  // override shouldQueue(): boolean { return false; }
`;
  return `import { Job, type JobContext } from 'jobwright';

/** ${className}: describe what it does here. */
export class ${className} extends Job {
  // The payload: the constructor's fields are stored as JSON at dispatch and set on the
  // instance again before handle() runs (a worker does not call the constructor). Keep them
  // plain data: strings, numbers, booleans, null, arrays and plain objects.
  constructor(
    public readonly recordId: string,
    public readonly note: string = '',
  ) {
    super();
  }

  // The stable name the worker finds this class by; keep it when you rename the class.
  override jobName(): string {
    return '${className}';
  }

  // The work. ctx.attempt is 1 on the first run; ctx.signal aborts when the timeout passes.
  override async handle(ctx: JobContext): Promise<void> {
    ctx.signal.throwIfAborted();
    // e.g. const record = await db.records.find(this.recordId);
  }

  // Called once, after the last attempt failed: clean up, alert, compensate.
  override async failed(error: Error): Promise<void> {
    console.error(\`\${this.jobName()} \${this.recordId} failed for good: \${error.message}\`);
  }

  // Settings. Left out, each follows jobwright.config.ts and the environment (in brackets);
  // uncomment one to give this job its own value.

  // Runs before the job is failed for good (maxAttempts, JOB_MAX_RETRY_ATTEMPTS).
  // override maxAttempts(): number { return 5; }

  // Seconds before the next run after attempt number \`attempt\` failed (retryDelay, JOB_RETRY_DELAY).
  // override retryDelay(attempt: number): number { return 30 * attempt; }

  // Seconds one attempt may run, or null for no limit (timeout, JOB_DEFAULT_TIMEOUT).
  // override timeout(): number | null { return 120; }

  // The queue this job goes to; workers pick queues with --queue (defaultQueue, JOB_DEFAULT_QUEUE).
  // override queueName(): string { return 'emails'; }

  // Lower runs first among due jobs of the same queue (0).
  // override priority(): number { return -5; }

  // A Date to hold the job back until (null: as soon as a worker is free).
  // override availableAt(): Date | null { return new Date(Date.now() + 60_000); }

${queueLine}}
`;
}

/** \`SendEmailJob\` → \`send-email-job\`. */
export function fileNameOf(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}
