import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { formatDuration, formatTime, table } from '../format.js';

export function registerWorkers(program: Command, ctx: CliContext): void {
  program
    .command('queue:workers')
    .description('Every live worker on this store, from all processes and machines')
    .option('--json', 'print the workers as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:workers
  $ artisan queue:workers --json

A worker drops out of the list when it stops, or when its heartbeat lapses (it died).
HELD: jobs it holds ahead of its free slots (leased, not started, not charged an attempt).`,
    )
    .action((options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const workers = await dispatcher.liveWorkers();
        if (options.json) return printJson(ctx, workers);
        if (workers.length === 0) return println(ctx, 'No live workers. Start one with: artisan queue:work');
        const now = Date.now();
        println(
          ctx,
          table(
            ['WORKER', 'HOST', 'PID', 'QUEUES', 'CONCURRENCY', 'HELD', 'STARTED', 'HEARTBEAT', 'JOBS DONE'],
            workers.map((w) => [
              w.workerId,
              w.host,
              String(w.pid),
              w.queues.join(','),
              String(w.concurrency),
              String(w.held ?? 0),
              formatTime(w.startedAt),
              `${formatDuration(Math.max(0, now - w.lastHeartbeatAt.getTime()))} ago`,
              String(w.jobsDone),
            ]),
            ctx.colors.bold,
          ),
        );
      }),
    );
}
