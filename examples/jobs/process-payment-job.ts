import { ActivityLoggedJob, type JobContext } from '../../src/index.js';
import { appendJsonLine, dataPath, readJsonLines } from './example-data.js';
import { type Charge, charge, GOOD_CARD } from './payment-gateway.js';

/**
 * The seed's ProcessPaymentJob: high priority on the `payments` queue, five attempts two
 * minutes apart, ten-minute timeout. It is an ActivityLoggedJob, so each run is in the
 * activity log with the customer as causer; the card number is sensitive, so it is redacted in
 * logs, stored errors and activity entries.
 */
export class ProcessPaymentJob extends ActivityLoggedJob {
  static sensitive = ['cardNumber'];
  /** Seconds between attempts (the seed's 120); the demo shortens it. */
  static retryDelaySeconds = 120;

  constructor(
    public paymentId: string,
    public amount: number,
    public currency: string,
    public customerId: string,
    public cardNumber: string = GOOD_CARD,
  ) {
    super();
  }

  override jobName() {
    return 'ProcessPaymentJob';
  }
  override maxAttempts() {
    return 5;
  }
  override retryDelay() {
    return ProcessPaymentJob.retryDelaySeconds;
  }
  override queueName() {
    return 'payments';
  }
  override priority() {
    return -5;
  }
  override timeout() {
    return 600;
  }
  override triggeredBy() {
    return this.customerId;
  }
  override jobProperties() {
    return {
      paymentId: this.paymentId,
      amount: this.amount,
      currency: this.currency,
      cardNumber: this.cardNumber,
    };
  }

  async handle(ctx: JobContext) {
    const ledger = dataPath('payments.jsonl');
    // Idempotent: a payment already in the ledger (a run before a crash) is not charged twice.
    if (readJsonLines<Charge>(ledger).some((c) => c.paymentId === this.paymentId)) return;
    const result = charge({ ...this, attempt: ctx.attempt });
    appendJsonLine(ledger, { ...result, customerId: this.customerId, at: new Date().toISOString() });
  }

  /** The seed's handle_payment_failure: record it for follow-up (refund, tell the customer). */
  override failed(error: Error) {
    appendJsonLine(dataPath('payment-failures.jsonl'), {
      paymentId: this.paymentId,
      customerId: this.customerId,
      error: error.message,
      at: new Date().toISOString(),
    });
  }
}
