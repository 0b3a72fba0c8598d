import type { Command } from 'commander';
import { InvalidJobError } from '../../errors.js';
import { checkPayload } from '../../payload-rules.js';
import { type CliContext, printJson, println, withDispatcher } from '../context.js';
import { parsePositive, parseWholeNumber } from '../format.js';

interface DispatchCliOptions {
  payload: string;
  delay?: number;
  queue?: string;
  priority?: number;
  json?: boolean;
}

export function registerDispatch(program: Command, ctx: CliContext): void {
  program
    .command('queue:dispatch')
    .description('Queue one job of a registered class from the shell (smoke tests, one-off runs)')
    .argument('<job>', "the job's jobName(), as registered in jobwright.config.ts")
    .option('--payload <json>', 'the fields of the job, as the JSON its serialize() would give', '{}')
    .option('--delay <seconds>', 'due after this many seconds', parsePositive('--delay'))
    .option('--queue <name>', "another queue than the job's own")
    .option(
      '--priority <n>',
      "another priority than the job's own (lower runs first)",
      parseWholeNumber('--priority', -(2 ** 31 - 1), 2 ** 31 - 1),
    )
    .option('--json', 'print the id as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:dispatch SendEmailJob --payload '{"data":{"to":"ada@example.com"}}'
  $ artisan queue:dispatch NightlyReportJob --delay 60 --queue reports

The job is rebuilt from the payload as a worker would rebuild it (the constructor is not called).`,
    )
    .action((jobName: string, options: DispatchCliOptions) =>
      withDispatcher(
        ctx,
        async (dispatcher) => {
          let payload: unknown;
          try {
            payload = JSON.parse(options.payload);
          } catch (error) {
            throw new InvalidJobError(
              'INVALID_PAYLOAD',
              `--payload is not JSON: ${(error as Error).message}`,
            );
          }
          if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
            throw new InvalidJobError(
              'INVALID_PAYLOAD',
              `--payload must be a JSON object of the job's fields, e.g. '{"to":"ada@example.com"}' (got ${Array.isArray(payload) ? 'an array' : String(payload === null ? 'null' : typeof payload)})`,
            );
          }
          // The same rule as dispatch() in code: checked here too, so the message names --payload.
          checkPayload(payload, '--payload');
          const job = dispatcher.registry.instantiate(jobName, payload);
          const { delay, queue, priority } = options;
          const id = await dispatcher.dispatch(job, { delay, queue, priority });
          if (options.json) return printJson(ctx, { id, jobName });
          println(ctx, `${ctx.colors.green('Dispatched')} ${jobName} ${id}`);
        },
        { required: true, loadJobs: true },
      ),
    );
}
