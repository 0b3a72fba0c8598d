import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { InvalidJobError } from '../../errors.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { formatDuration, parseAge, parseList, parsePositive } from '../format.js';

type Finished = 'completed' | 'failed';

function parseStatuses(text: string): Finished[] {
  const list = parseList(text);
  for (const s of list) {
    if (s !== 'completed' && s !== 'failed') throw new InvalidArgumentError('use completed, failed or both');
  }
  return [...new Set(list)] as Finished[];
}

export function registerPrune(program: Command, ctx: CliContext): void {
  program
    .command('queue:prune')
    .description('Delete completed and failed jobs that finished longer ago than an age (default 24 h)')
    .option('--hours <h>', 'older than this many hours', parsePositive('--hours'))
    .option('--older-than <age>', 'older than 90s, 15m, 12h, 7d or 2w', parseAge)
    .option('--status <list>', 'which finished jobs: completed,failed', parseStatuses, [
      'completed',
      'failed',
    ])
    .option('--queue <name>', 'only this queue')
    .option('--json', 'print the count as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:prune                               finished more than 24 hours ago
  $ artisan queue:prune --hours 48
  $ artisan queue:prune --older-than 7d --status completed
  $ artisan queue:prune --older-than 30d --status failed --queue payments

Pending, processing and retrying jobs are never pruned. Run it from cron, e.g. hourly.`,
    )
    .action(
      (options: { hours?: number; olderThan?: number; status: Finished[]; queue?: string; json?: boolean }) =>
        withDispatcher(ctx, async (dispatcher) => {
          if (options.hours !== undefined && options.olderThan !== undefined) {
            throw new InvalidJobError('INVALID_OPTION', 'Give --hours or --older-than, not both');
          }
          const olderThanSeconds = options.olderThan ?? (options.hours ?? 24) * 3600;
          const deleted = await dispatcher.prune({
            olderThanSeconds,
            statuses: options.status,
            queue: options.queue,
          });
          if (options.json) return printJson(ctx, { deleted, olderThanSeconds, statuses: options.status });
          println(
            ctx,
            `${ctx.colors.green('Pruned')} ${deleted} ${options.status.join(' and ')} job${deleted === 1 ? '' : 's'} older than ${formatDuration(olderThanSeconds * 1000)}.`,
          );
        }),
    );
}
