import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';

export function registerClearFailed(program: Command, ctx: CliContext): void {
  program
    .command('queue:clear-failed')
    .alias('queue:flush')
    .description('Delete failed jobs for good (Laravel: queue:flush)')
    .option('--queue <name>', 'only failed jobs of this queue')
    .option('--json', 'print the count as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:clear-failed
  $ artisan queue:clear-failed --queue emails
  $ artisan queue:flush                              Laravel's spelling`,
    )
    .action((options: { queue?: string; json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const deleted = await dispatcher.clearFailed({ queue: options.queue });
        if (options.json) return printJson(ctx, { deleted });
        println(ctx, `${ctx.colors.green('Deleted')} ${deleted} failed job${deleted === 1 ? '' : 's'}.`);
      }),
    );
}
