import type { Command } from 'commander';
import { generateKey } from '../../encryption.js';
import { type CliContext, printJson, println } from '../context.js';

export function registerKeyGenerate(program: Command, ctx: CliContext): void {
  program
    .command('key:generate')
    .description('Print a new random key for JOBWRIGHT_KEY (payload encryption) or a dashboard token')
    .option('--json', 'print the key as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan key:generate
  $ echo "JOBWRIGHT_KEY=$(npx artisan key:generate)" >> .env

Nothing is stored: set the key in every process that dispatches or runs encrypted jobs.
To rotate, move the old key to JOBWRIGHT_PREVIOUS_KEYS (comma-separated) and set the new one
as JOBWRIGHT_KEY; drop the old key once no stored job was encrypted under it.`,
    )
    .action((options: { json?: boolean }) => {
      const key = generateKey();
      if (options.json) printJson(ctx, { key });
      else println(ctx, key);
    });
}
