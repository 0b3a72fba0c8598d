import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';

export function registerPause(program: Command, ctx: CliContext): void {
  program
    .command('queue:pause')
    .description('Stop workers everywhere from taking new jobs of a queue (running jobs finish)')
    .argument('<queue>', 'queue name')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ artisan queue:pause emails\n  $ artisan queue:resume emails')
    .action((queue: string, options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        await dispatcher.pause(queue);
        if (options.json) return printJson(ctx, { queue, paused: true });
        println(
          ctx,
          `${ctx.colors.yellow('Paused')} queue '${queue}'. Resume with: artisan queue:resume ${queue}`,
        );
      }),
    );
  program
    .command('queue:resume')
    .description('Let workers take jobs of a paused queue again')
    .argument('<queue>', 'queue name')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ artisan queue:resume emails')
    .action((queue: string, options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        await dispatcher.resume(queue);
        if (options.json) return printJson(ctx, { queue, paused: false });
        println(ctx, `${ctx.colors.green('Resumed')} queue '${queue}'.`);
      }),
    );
}
