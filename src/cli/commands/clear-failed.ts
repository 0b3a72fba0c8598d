import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';

export function registerClearFailed(program: Command, ctx: CliContext): void {
  program
    .command('queue:clear-failed')
    .alias('queue:flush')
    .description('Delete failed jobs for good (Laravel: queue:flush)')
    .argument('[ids...]', 'only these failed jobs (see queue:failed); all of them when none are named')
    .option('--queue <name>', 'only failed jobs of this queue')
    .option('--json', 'print the count as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:clear-failed
  $ artisan queue:clear-failed --queue emails
  $ artisan queue:clear-failed 01J0Z3R9C1N6W5D2B8T4K7M0QX
  $ artisan queue:flush                              Laravel's spelling

With ids, exits with 1 when a named id was not a failed job.`,
    )
    .action((ids: string[], options: { queue?: string; json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const named = ids.length > 0 ? [...new Set(ids)] : undefined;
        const deleted = await dispatcher.clearFailed({ queue: options.queue, ids: named });
        const missed = named ? named.length - deleted : 0;
        if (missed > 0) ctx.exitCode = 1;
        if (options.json) return printJson(ctx, { deleted });
        println(ctx, `${ctx.colors.green('Deleted')} ${deleted} failed job${deleted === 1 ? '' : 's'}.`);
        if (missed > 0) {
          ctx.stderr.write(
            `${missed} of the ${named!.length} ids were not failed jobs${options.queue ? ` of queue '${options.queue}'` : ''} (see artisan queue:failed)\n`,
          );
        }
      }),
    );
}
