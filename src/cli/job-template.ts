/**
 * The source `make:job` writes: every method of the seed's Job, each with a one-line comment,
 * so that a new job shows every knob. It must type-check under `strict` and run unchanged.
 */
export function jobTemplate(className: string, options: { sync: boolean }): string {
  const queueLine = options.sync
    ? `  // false: dispatch() runs the job inline, right away, instead of queueing it.
  override shouldQueue(): boolean {
    return false;
  }`
    : `  // false: dispatch() runs the job inline instead of queueing it.
  override shouldQueue(): boolean {
    return true;
  }`;
  return `import { Job, type JobContext } from 'jobwright';

/** ${className}: describe what it does here. */
export class ${className} extends Job {
  // The payload: public fields are stored as JSON at dispatch and restored before handle() runs.
  constructor(public readonly data: Record<string, unknown> = {}) {
    super();
  }

  // The stable name the worker finds this class by; keep it when you rename the class.
  override jobName(): string {
    return '${className}';
  }

  // The work. ctx.attempt is 1 on the first run; ctx.signal aborts when the timeout passes.
  override async handle(ctx: JobContext): Promise<void> {
    ctx.signal.throwIfAborted();
  }

  // The settings below are the seed's defaults written out: delete one to use the config's value.

  // How many runs before the job is failed for good.
  override maxAttempts(): number {
    return 3;
  }

  // Seconds to wait before the next run after attempt number \`attempt\` failed, e.g. 60 * attempt.
  override retryDelay(_attempt: number): number {
    return 60;
  }

${queueLine}

  // The queue this job goes to (workers pick queues with --queue).
  override queueName(): string {
    return 'default';
  }

  // Lower runs first among due jobs of the same queue.
  override priority(): number {
    return 0;
  }

  // Seconds one attempt may run, or null for no limit.
  override timeout(): number | null {
    return 300;
  }

  // A Date to hold the job back until, or null to run it as soon as a worker is free.
  override availableAt(): Date | null {
    return null;
  }

  // The payload to store as JSON; a worker puts these fields back on the instance before handle().
  override serialize(): unknown {
    return { data: this.data };
  }

  // Called once, after the last attempt failed: clean up, alert, compensate.
  override async failed(error: Error): Promise<void> {
    console.error(\`\${this.jobName()} failed for good: \${error.message}\`);
  }
}
`;
}

/** \`SendEmailJob\` → \`send-email-job\`. */
export function fileNameOf(className: string): string {
  return className
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}
