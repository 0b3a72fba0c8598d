import type { Command } from 'commander';
import { closestName } from '../../did-you-mean.js';
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
        // A queue may be paused before its first job (ahead of a deploy), so an unknown name is
        // paused too, but said plainly, with the nearest known name when it looks like a typo.
        const known = (await dispatcher.allStats()).map((s) => s.queueName);
        await dispatcher.pause(queue);
        const isNew = !known.includes(queue);
        const near = isNew ? closestName(queue, known) : null;
        if (options.json) return printJson(ctx, { queue, paused: true, knownQueue: !isNew });
        println(
          ctx,
          `${ctx.colors.yellow('Paused')} queue '${queue}'. Resume with: artisan queue:resume ${queue}`,
        );
        if (isNew) {
          ctx.stderr.write(
            `${ctx.colors.yellow('warning:')} no queue '${queue}' has jobs or workers yet: it is paused all the same, so its jobs will wait when they come` +
              `${near ? ` (did you mean '${near}'?)` : ''}. Known queues: ${known.length > 0 ? known.join(', ') : 'none'}.\n`,
          );
        }
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
