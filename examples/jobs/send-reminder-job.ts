import { Job } from '../../src/index.js';
import { appendJsonLine, dataPath } from './example-data.js';
import { sendMail } from './mailer.js';

/**
 * A delayed job (the seed's `available_at`): due `delaySeconds` after it was made, e.g. "remind
 * me in 30 minutes". The due time is part of the payload, so it survives a retry unchanged.
 */
export class SendReminderJob extends Job {
  public dueAt: string;

  constructor(
    public email: string,
    public message: string,
    delaySeconds = 30 * 60,
  ) {
    super();
    this.dueAt = new Date(Date.now() + delaySeconds * 1000).toISOString();
  }

  override jobName() {
    return 'SendReminderJob';
  }
  override queueName() {
    return 'emails';
  }
  override availableAt() {
    return new Date(this.dueAt);
  }

  async handle() {
    const lateMs = Date.now() - new Date(this.dueAt).getTime();
    if (lateMs < -50) throw new Error(`Reminder ran ${-lateMs} ms before it was due`);
    await sendMail({ to: this.email, subject: 'Reminder', text: this.message });
    appendJsonLine(dataPath('reminders.jsonl'), {
      email: this.email,
      dueAt: this.dueAt,
      sentAt: new Date().toISOString(),
    });
  }
}
