import type { Command } from 'commander';
import type { JobDispatcher } from '../../dispatcher.js';
import { InvalidJobError } from '../../errors.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';

interface RetryOptions {
  all?: boolean;
  queue?: string;
  json?: boolean;
}

export function registerRetryFailed(program: Command, ctx: CliContext): void {
  program
    .command('queue:retry-failed')
    .alias('queue:retry')
    .description('Put failed jobs back on their queue, attempts reset (Laravel: queue:retry)')
    .argument('[ids...]', "ids of failed jobs (see queue:failed); 'all' is the same as --all")
    .option('--all', 'every failed job (of --queue when given)')
    .option('--queue <name>', 'only failed jobs of this queue (alone: all of them)')
    .option('--json', 'print the count as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:retry-failed 01J0Z3R9C1N6W5D2B8T4K7M0QX
  $ artisan queue:retry-failed --all
  $ artisan queue:retry-failed --queue payments
  $ artisan queue:retry all                          Laravel's spelling

Exits with 1 when a named id was not a failed job.`,
    )
    .action((ids: string[], options: RetryOptions) =>
      withDispatcher(ctx, async (dispatcher) => {
        const all = options.all || ids.includes('all') || (ids.length === 0 && options.queue !== undefined);
        if (!all && ids.length === 0) {
          throw new InvalidJobError(
            'NOTHING_TO_RETRY',
            'Name the failed jobs to retry (ids from artisan queue:failed), or pass --all',
          );
        }
        // Looked up first, so that each id that cannot be retried is named with the reason.
        const refused = all ? [] : await whyNotRetried(dispatcher, ids, options.queue);
        const retried = all
          ? await dispatcher.retryFailed('all', { queue: options.queue })
          : await dispatcher.retryFailed(ids, { queue: options.queue });
        if (!all && retried < ids.length) ctx.exitCode = 1;
        if (options.json) return printJson(ctx, { retried, requested: all ? 'all' : ids.length });
        println(ctx, `${ctx.colors.green('Retried')} ${retried} failed job${retried === 1 ? '' : 's'}.`);
        if (!all && retried < ids.length) {
          ctx.stderr.write(
            `${ids.length - retried} of the ${ids.length} ids were not failed jobs${options.queue ? ` of queue '${options.queue}'` : ''}: ${refused.join('; ')} (see artisan queue:failed)\n`,
          );
        }
      }),
    );
}

/** For each id that is not a failed job (of `queue`), the id and what it is instead. */
async function whyNotRetried(dispatcher: JobDispatcher, ids: string[], queue?: string): Promise<string[]> {
  const reasons: string[] = [];
  for (const id of new Set(ids)) {
    const record = await dispatcher.find(id);
    if (!record) reasons.push(`${id}: no job has this id`);
    else if (record.status !== 'failed') reasons.push(`${id}: ${record.status}, not failed`);
    else if (queue !== undefined && record.queueName !== queue) {
      reasons.push(`${id}: a failed job of queue '${record.queueName}'`);
    }
  }
  return reasons;
}
