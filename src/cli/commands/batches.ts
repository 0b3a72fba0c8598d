import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { formatTime, parseCount, table } from '../format.js';

export function registerBatches(program: Command, ctx: CliContext): void {
  program
    .command('queue:batches')
    .description('Batches of jobs (dispatcher.batch), newest first, with their progress')
    .option('--limit <n>', 'how many (default 50, at most 1000)', parseCount('--limit', 1, 1000))
    .option('--json', 'print the batches as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:batches
  $ artisan queue:batches --limit 10 --json

PENDING: jobs not finished yet. FAILED: jobs failed for good (jobs skipped because the batch was
cancelled included). PROGRESS: the share of jobs finished.`,
    )
    .action((options: { limit?: number; json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const batches = await dispatcher.batches({ limit: options.limit ?? 50 });
        if (options.json) return printJson(ctx, batches);
        if (batches.length === 0) return println(ctx, 'No batches.');
        println(
          ctx,
          table(
            ['ID', 'NAME', 'TOTAL', 'PENDING', 'FAILED', 'PROGRESS', 'CREATED', 'FINISHED', 'CANCELLED'],
            batches.map((b) => [
              b.id,
              b.name ?? '-',
              String(b.totalJobs),
              String(b.pendingJobs),
              String(b.failedJobs),
              `${b.progress}%`,
              formatTime(b.createdAt),
              formatTime(b.finishedAt),
              formatTime(b.cancelledAt),
            ]),
            ctx.colors.bold,
          ),
        );
      }),
    );
}
