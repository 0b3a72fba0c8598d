import type { JobClass } from '../../src/index.js';
import { AuditEventJob } from './audit-event-job.js';
import { BatchProcessJob } from './batch-process-job.js';
import { GenerateReceiptJob } from './generate-receipt-job.js';
import { ProcessFileJob } from './process-file-job.js';
import { ProcessPaymentJob } from './process-payment-job.js';
import { SendEmailJob } from './send-email-job.js';
import { SendReminderJob } from './send-reminder-job.js';

export {
  AuditEventJob,
  BatchProcessJob,
  GenerateReceiptJob,
  ProcessFileJob,
  ProcessPaymentJob,
  SendEmailJob,
  SendReminderJob,
};

/** Every example job, for `registerJobs(EXAMPLE_JOBS)` or a config file's `jobs` list. */
export const EXAMPLE_JOBS: JobClass[] = [
  ProcessPaymentJob,
  SendEmailJob,
  ProcessFileJob,
  BatchProcessJob,
  SendReminderJob,
  GenerateReceiptJob,
  AuditEventJob,
];
