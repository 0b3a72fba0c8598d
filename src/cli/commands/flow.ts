import type { Command } from 'commander';
import { describeLimits, parseRate, type QueueLimitsInput } from '../../flow/dispatch-flow.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { parseCount } from '../format.js';

/** `queue:cancel` and `queue:limit`: flow control from the command line (docs/flow-control.md). */
export function registerFlow(program: Command, ctx: CliContext): void {
  program
    .command('queue:cancel')
    .description('Cancel jobs: waiting ones never run, running ones have their signal aborted')
    .argument('<ids...>', 'job ids')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ artisan queue:cancel 01J9Z3K4M5N6P7Q8R9S0T1V2W3')
    .action((ids: string[], options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher) => {
        const results: Array<{ id: string; cancelled: boolean }> = [];
        for (const id of ids) results.push({ id, cancelled: await dispatcher.cancel(id) });
        if (options.json) return printJson(ctx, { results });
        for (const r of results) {
          println(
            ctx,
            r.cancelled
              ? `${ctx.colors.yellow('Cancelled')} job ${r.id}.`
              : `Job ${r.id} was not cancelled: no such job, or it has completed or failed already.`,
          );
        }
        if (results.some((r) => !r.cancelled)) ctx.exitCode = 1;
      }),
    );
  program
    .command('queue:limit')
    .description('Show or set the limits every worker on this store obeys for a queue')
    .argument('<queue>', 'queue name')
    .option(
      '--concurrency <n>',
      'at most n jobs of the queue running at once',
      parseCount('--concurrency', 1, 100_000),
    )
    .option('--rate <max/seconds>', 'at most max starts in any window of seconds, e.g. 20/1')
    .option(
      '--group-concurrency <n>',
      'the same, per Job.group()',
      parseCount('--group-concurrency', 1, 100_000),
    )
    .option('--group-rate <max/seconds>', 'the rate, per Job.group()')
    .option('--clear', 'remove every limit of the queue (before setting the ones given)')
    .option('--json', 'print the limits as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:limit emails                         show
  $ artisan queue:limit emails --concurrency 3 --rate 20/1
  $ artisan queue:limit emails --group-concurrency 1   one job per tenant at a time
  $ artisan queue:limit emails --clear`,
    )
    .action(
      (
        queue: string,
        options: {
          concurrency?: number;
          rate?: string;
          groupConcurrency?: number;
          groupRate?: string;
          clear?: boolean;
          json?: boolean;
        },
      ) =>
        withDispatcher(ctx, async (dispatcher) => {
          const input: QueueLimitsInput = {};
          if (options.clear)
            Object.assign(input, { concurrency: null, rate: null, groupConcurrency: null, groupRate: null });
          if (options.concurrency !== undefined) input.concurrency = options.concurrency;
          if (options.rate !== undefined) input.rate = parseRate(options.rate);
          if (options.groupConcurrency !== undefined) input.groupConcurrency = options.groupConcurrency;
          if (options.groupRate !== undefined) input.groupRate = parseRate(options.groupRate);
          const changed = Object.keys(input).length > 0;
          const limits = changed
            ? await dispatcher.setQueueLimits(queue, input)
            : await dispatcher.queueLimits(queue);
          if (options.json) return printJson(ctx, { queue, limits });
          println(ctx, `${changed ? 'Limits of' : 'Queue'} '${queue}': ${describeLimits(limits)}`);
        }),
    );
}
