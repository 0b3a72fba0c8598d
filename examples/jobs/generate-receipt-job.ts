import { writeFile } from 'node:fs/promises';
import { dispatch, Job } from '../../src/index.js';
import { dataPath, readJsonLines } from './example-data.js';
import type { Charge } from './payment-gateway.js';
import { SendEmailJob } from './send-email-job.js';

/**
 * A chained job. In a declared chain, `chain([new ProcessPaymentJob(...), new GenerateReceiptJob(...)])`,
 * it runs only after the payment completed (and not at all if it failed). It then chains work
 * itself the seed's way, dispatching the receipt email from `handle()`.
 */
export class GenerateReceiptJob extends Job {
  constructor(
    public paymentId: string,
    public email: string,
    public name: string,
  ) {
    super();
  }

  override jobName() {
    return 'GenerateReceiptJob';
  }

  async handle() {
    const payment = readJsonLines<Charge>(dataPath('payments.jsonl')).find(
      (c) => c.paymentId === this.paymentId,
    );
    if (!payment)
      throw new Error(`Payment ${this.paymentId} is not in the ledger: nothing to write a receipt for`);
    const money = (cents: number) => `${(cents / 100).toFixed(2)} ${payment.currency}`;
    const receipt = [
      `Receipt for payment ${payment.paymentId}`,
      `Amount:        ${money(payment.amountCents)}`,
      `Processing fee: ${money(payment.feeCents)}`,
      `Authorization: ${payment.authorization}`,
    ].join('\n');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.paymentId))
      throw new Error(`Payment id ${this.paymentId} is not a plain name`);
    await writeFile(dataPath('receipts', `${this.paymentId}.txt`), `${receipt}\n`);
    await dispatch(SendEmailJob.receipt(this.email, this.name, this.paymentId, receipt));
  }
}
