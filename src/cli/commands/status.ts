import type { Command } from 'commander';
import type { QueueStats } from '../../dispatcher.js';
import type { QueueLimits } from '../../drivers/flow-contract.js';
import { describeLimits } from '../../flow/dispatch-flow.js';
import { type CliContext, describeStore, printJson, println, withDispatcher } from '../context.js';
import { formatDuration, table } from '../format.js';

export interface QueueStatus extends QueueStats {
  paused: boolean;
  /** Only on queues with limits (artisan queue:limit). */
  limits?: QueueLimits;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('queue:status')
    .description('Per queue: pending, processing, retrying, completed and failed jobs, oldest wait, workers')
    .option('--queue <name>', 'only this queue')
    .option('--json', 'print the stats as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:status
  $ artisan queue:status --queue emails
  $ artisan queue:status --json | jq '.[] | select(.failedJobs > 0)'

OLDEST is how long the oldest due job has waited; WORKERS is the concurrency of live workers.`,
    )
    .action((options: { queue?: string; json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher, config) => {
        const stats = options.queue ? [await dispatcher.stats(options.queue)] : await dispatcher.allStats();
        const paused = new Set(await dispatcher.pausedQueues());
        // A paused queue stays visible even when it holds no job, so that nobody forgets it.
        for (const queue of paused) {
          if (!options.queue && !stats.some((s) => s.queueName === queue))
            stats.push(await dispatcher.stats(queue));
        }
        stats.sort((a, b) => a.queueName.localeCompare(b.queueName));
        const limited = new Map(
          (await (await dispatcher.driver()).limitedQueues()).map((l) => [l.queue, l.limits] as const),
        );
        const rows: QueueStatus[] = stats.map((s) => {
          const limits = limited.get(s.queueName);
          return limits
            ? { ...s, paused: paused.has(s.queueName), limits }
            : { ...s, paused: paused.has(s.queueName) };
        });
        if (options.json) return printJson(ctx, rows);
        println(ctx, ctx.colors.dim(`Store: ${describeStore(config)}`));
        if (rows.length === 0) return println(ctx, 'No queues yet: nothing has been dispatched.');
        println(
          ctx,
          table(
            ['QUEUE', 'PENDING', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'OLDEST', 'WORKERS'],
            rows.map((s) => [
              s.paused ? `${s.queueName} (paused)` : s.queueName,
              String(s.pendingJobs),
              String(s.processingJobs),
              String(s.retryingJobs),
              String(s.completedJobs),
              String(s.failedJobs),
              formatDuration(s.oldestPendingMs),
              String(s.workersCount),
            ]),
            ctx.colors.bold,
          ),
        );
        for (const r of rows)
          if (r.limits) println(ctx, `Limits of '${r.queueName}': ${describeLimits(r.limits)}`);
      }),
    );
}
