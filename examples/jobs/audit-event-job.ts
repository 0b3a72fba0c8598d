import { Job } from '../../src/index.js';
import { appendJsonLine, dataPath } from './example-data.js';

/**
 * A conditional job (the seed's `should_queue`): queued during business hours (9:00 to 17:59,
 * local time) when the system is busy, and run inline, right in `dispatch`, outside them.
 */
export class AuditEventJob extends Job {
  /** The clock `shouldQueue()` reads; tests replace it. */
  static clock: () => Date = () => new Date();

  constructor(
    public action: string,
    public userId: string,
  ) {
    super();
  }

  override jobName() {
    return 'AuditEventJob';
  }

  override shouldQueue() {
    const hour = AuditEventJob.clock().getHours();
    return hour >= 9 && hour <= 17;
  }

  async handle() {
    appendJsonLine(dataPath('audit.jsonl'), {
      action: this.action,
      userId: this.userId,
      at: new Date().toISOString(),
    });
  }
}
