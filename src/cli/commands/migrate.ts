import type { Command } from 'commander';
import type { JobConfig } from '../../config.js';
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
        const where = storeLocation(config);
        if (options.json)
          printJson(ctx, { migrated: true, driver: driver.name, store: describeStore(config), ...where });
        else println(ctx, `${ctx.colors.green('Migrated')} ${describeStore(config)}`);
      }),
    );
}

/** The one setting that tells two stores on the same server apart, for scripts (`--json`). */
function storeLocation(config: JobConfig): Record<string, string> {
  switch (config.connection) {
    case 'sqlite':
      return { file: config.sqlitePath };
    case 'database':
      return { schema: config.databaseSchema };
    case 'redis':
      return { keyPrefix: config.redisPrefix };
    default:
      return {};
  }
}
