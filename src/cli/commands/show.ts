import type { Command } from 'commander';
import { InsightsReader } from '../../insights/reader.js';
import { redactRecord } from '../../logging/sensitive.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { clip, formatDuration, formatTime, table } from '../format.js';

/**
 * `queue:show <id>`: one job and every recorded attempt (when it started, on which worker, how
 * long it ran, how it ended, its error). Reads stored text only: the job's class need not load.
 */
export function registerShow(program: Command, ctx: CliContext): void {
  program
    .command('queue:show')
    .description('Show one job and its attempt history (started, worker, duration, outcome, error)')
    .argument('<id>', 'the job id')
    .option('--json', 'print the job and its attempts as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:show 01JD3Q4S5V6W7X8Y9Z0A1B2C3D
  $ artisan queue:show 01JD3Q4S5V6W7X8Y9Z0A1B2C3D --json | jq '.attempts[0].error'`,
    )
    .action((id: string, options: { json?: boolean }) =>
      withDispatcher(
        ctx,
        async (dispatcher) => {
          const found = await dispatcher.find(id);
          if (!found) {
            ctx.exitCode = 1;
            return println(ctx, `No job with id ${id} (it may have been pruned or cleared).`);
          }
          // Fields a job class marks sensitive are never printed; without the class, the default rules apply.
          const job = redactRecord(found, dispatcher.registry);
          const attempts = await new InsightsReader(dispatcher).attemptsOf(found);
          if (options.json) return printJson(ctx, { job, attempts });
          const facts: Array<[string, string]> = [
            ['Id', job.id],
            ['Job', job.jobName],
            ['Queue', job.queueName],
            ['Status', job.status],
            ['Attempts', `${job.attempts} of ${job.maxAttempts}`],
            ['Created', formatTime(job.createdAt)],
            ['Available at', formatTime(job.availableAt)],
            ['Last started', formatTime(job.reservedAt)],
            ['Processed at', formatTime(job.processedAt)],
            ['Failed at', formatTime(job.failedAt)],
          ];
          if (job.errorMessage) facts.push(['Error', clip(job.errorMessage, 200)]);
          const width = Math.max(...facts.map(([k]) => k.length));
          println(ctx, facts.map(([k, v]) => `${ctx.colors.bold(k.padEnd(width))}  ${v}`).join('\n'));
          println(ctx, '');
          if (attempts.length === 0) {
            return println(
              ctx,
              'No attempts recorded (none has ended yet, or history is off: JOBWRIGHT_HISTORY).',
            );
          }
          println(
            ctx,
            table(
              ['#', 'STARTED', 'WORKER', 'WAITED', 'RAN', 'OUTCOME', 'ERROR'],
              attempts.map((a) => [
                String(a.attempt),
                formatTime(a.startedAt),
                a.workerId ?? '-',
                formatDuration(a.waitMs),
                formatDuration(a.durationMs),
                a.outcome,
                clip(a.error, 70),
              ]),
              ctx.colors.bold,
            ),
          );
        },
        { loadJobs: true },
      ),
    );
}
