import { Job } from '../../src/index.js';
import { escapeHtml } from '../files/markdown.js';
import { sendMail } from './mailer.js';

export type EmailTemplate = 'welcome' | 'password-reset' | 'receipt';

/**
 * The seed's SendEmailJob, sent through SMTP (SMTP_URL) or printed when no server is set.
 * The mail is rendered in the worker from the template and its data, so the payload stays
 * small, and the reset token (sensitive) never shows in logs or failed-job records.
 */
export class SendEmailJob extends Job {
  static sensitive = ['resetToken'];

  constructor(
    public to: string,
    public template: EmailTemplate,
    public data: Record<string, string>,
  ) {
    super();
  }

  static welcome(email: string, name: string, activationUrl: string | null = null): SendEmailJob {
    return new SendEmailJob(email, 'welcome', activationUrl ? { name, activationUrl } : { name });
  }

  static passwordReset(email: string, name: string, resetToken: string): SendEmailJob {
    return new SendEmailJob(email, 'password-reset', { name, resetToken });
  }

  static receipt(email: string, name: string, paymentId: string, receiptText: string): SendEmailJob {
    return new SendEmailJob(email, 'receipt', { name, paymentId, receiptText });
  }

  override jobName() {
    return 'SendEmailJob';
  }
  override queueName() {
    return 'emails';
  }
  override maxAttempts() {
    return 3;
  }
  override retryDelay(attempt: number) {
    return 30 * attempt;
  }
  override timeout() {
    return 60;
  }

  render(): { subject: string; text: string } {
    const d = this.data;
    switch (this.template) {
      case 'welcome':
        return {
          subject: `Welcome, ${d.name}!`,
          text: `Hi ${d.name},\n\nThanks for signing up.${d.activationUrl ? `\nActivate your account: ${d.activationUrl}` : ''}\n`,
        };
      case 'password-reset':
        return {
          subject: 'Reset your password',
          text: `Hi ${d.name},\n\nUse this code to reset your password: ${d.resetToken}\nIt expires in one hour. If you did not ask for it, ignore this mail.\n`,
        };
      case 'receipt':
        return {
          subject: `Your receipt for payment ${d.paymentId}`,
          text: `Hi ${d.name},\n\n${d.receiptText}\n`,
        };
      default:
        throw new Error(`Unknown email template ${JSON.stringify(this.template)}`);
    }
  }

  async handle() {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(this.to)) throw new Error(`Invalid recipient address ${this.to}`);
    const { subject, text } = this.render();
    const html = `<pre style="font-family:sans-serif">${escapeHtml(text)}</pre>`;
    await sendMail({ to: this.to, subject, text, html });
  }
}
