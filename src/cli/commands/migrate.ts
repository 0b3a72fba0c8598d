import type { Command } from 'commander';
import { type CliContext, describeStore, printJson, println, withDispatcher } from '../context.js';

export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description("Create or upgrade the store's tables (idempotent; workers also do it on start)")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan migrate                                   the configured store (SQLite by default)
  $ DATABASE_URL=postgres://app@db/app artisan migrate
  $ QUEUE_CONNECTION=redis REDIS_URL=redis://cache:6379 artisan migrate`,
    )
    .action((options: { json?: boolean }) =>
      withDispatcher(ctx, async (dispatcher, config) => {
        // driver() runs the driver's migrations before it hands the store out.
        const driver = await dispatcher.driver();
        if (options.json)
          printJson(ctx, { migrated: true, driver: driver.name, store: describeStore(config) });
        else println(ctx, `${ctx.colors.green('Migrated')} ${describeStore(config)}`);
      }),
    );
}
