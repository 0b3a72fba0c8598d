import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { clip, formatDuration, formatTime, parseCount, table } from '../format.js';

/** `queue:activity`: the activity log that ActivityLoggedJob runs write, newest first. */
export function registerActivity(program: Command, ctx: CliContext): void {
  program
    .command('queue:activity')
    .description('Show the activity log of ActivityLoggedJob runs, newest first')
    .option('--job <id>', 'only the entries of this job')
    .option('--limit <n>', 'at most this many entries', parseCount('--limit'), 50)
    .option('--json', 'print the entries as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:activity
  $ artisan queue:activity --job 01JD3Q4S5V6W7X8Y9Z0A1B2C3D
  $ artisan queue:activity --limit 200 --json | jq 'map(select(.event == "failed"))'`,
    )
    .action((options: { job?: string; limit: number; json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const entries = await dispatcher.activity({ jobId: options.job, limit: options.limit });
        if (options.json) return printJson(ctx, entries);
        if (entries.length === 0)
          return println(ctx, options.job ? `No activity for job ${options.job}.` : 'No activity yet.');
        println(
          ctx,
          table(
            ['AT', 'EVENT', 'JOB', 'JOB ID', 'ATTEMPT', 'CAUSER', 'DURATION', 'ERROR'],
            entries.map((e) => [
              formatTime(e.createdAt),
              e.event,
              e.jobName,
              e.jobId ?? '-',
              String(e.attempt),
              e.causer ?? '-',
              formatDuration(e.durationMs),
              clip(e.error, 50),
            ]),
            ctx.colors.bold,
          ),
        );
      }),
    );
}
