import type { Command } from 'commander';
import { redactRecord } from '../../logging/sensitive.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { clip, formatTime, parseCount, table } from '../format.js';

export function registerFailed(program: Command, ctx: CliContext): void {
  program
    .command('queue:failed')
    .description('List failed jobs, newest first (Laravel: queue:failed)')
    .option('--queue <name>', 'only this queue')
    .option('--limit <n>', 'at most this many', parseCount('--limit'), 50)
    .option('--json', 'print the jobs as JSON (payload and full error included)')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:failed
  $ artisan queue:failed --queue payments --limit 10
  $ artisan queue:failed --json | jq -r '.[].id' | head -3 | xargs artisan queue:retry-failed`,
    )
    .action((options: { queue?: string; limit: number; json?: boolean }) =>
      withDispatcher(
        ctx,
        async (dispatcher) => {
          const listed = await dispatcher.jobs({
            status: 'failed',
            queue: options.queue,
            limit: options.limit,
          });
          const total = listed.total;
          // Fields a job class marks sensitive are never printed: the classes are loaded to know them.
          const jobs = listed.jobs.map((job) => redactRecord(job, dispatcher.registry));
          if (options.json) return printJson(ctx, jobs);
          if (jobs.length === 0) return println(ctx, 'No failed jobs.');
          println(
            ctx,
            table(
              ['ID', 'QUEUE', 'JOB', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
              jobs.map((j) => [
                j.id,
                j.queueName,
                j.jobName,
                `${j.attempts}/${j.maxAttempts}`,
                formatTime(j.failedAt),
                clip(j.errorMessage, 70),
              ]),
              ctx.colors.bold,
            ),
          );
          if (total > jobs.length)
            println(ctx, ctx.colors.dim(`(${jobs.length} of ${total}; use --limit for more)`));
        },
        { loadJobs: true },
      ),
    );
}
