import type { Command } from 'commander';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';

export function registerForget(program: Command, ctx: CliContext): void {
  program
    .command('queue:forget')
    .description('Delete failed jobs by id, for good (Laravel: queue:forget)')
    .argument('<ids...>', 'ids of failed jobs (see queue:failed)')
    .option('--json', 'print what was deleted as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:forget 01J0Z3R9C1N6W5D2B8T4K7M0QX
  $ artisan queue:forget 01J0Z3R9C1N6W5D2B8T4K7M0QX 01J0Z3RB4W8H2Q6N1V5C9D3F7G
  $ artisan queue:forget 01J0Z3R9C1N6W5D2B8T4K7M0QX --json

Only failed jobs are deleted; exits with 1 when an id was not a failed job.`,
    )
    .action((ids: string[], options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const unique = [...new Set(ids)];
        const notFound: string[] = [];
        // One id at a time, so that the ids that were not failed jobs can be named.
        for (const id of unique) if (!(await dispatcher.forgetFailed(id))) notFound.push(id);
        const deleted = unique.length - notFound.length;
        if (notFound.length > 0) ctx.exitCode = 1;
        if (options.json) return printJson(ctx, { deleted, notFound });
        println(ctx, `${ctx.colors.green('Deleted')} ${deleted} failed job${deleted === 1 ? '' : 's'}.`);
        for (const id of notFound)
          ctx.stderr.write(`No failed job has the id ${id} (see artisan queue:failed)\n`);
      }),
    );
}
