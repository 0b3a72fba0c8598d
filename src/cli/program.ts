import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { JobwrightError } from '../errors.js';
import { commands } from './commands/index.js';
import { type CliContext, type ContextOptions, createContext } from './context.js';

function packageVersion(): string {
  // dist/cli/program.js and src/cli/program.ts both sit two folders below package.json.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The `artisan` program with every registered command; output goes to the context's streams. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('artisan')
    .description('Run and inspect jobwright queues')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'config file (default: the nearest jobwright.config.ts upward)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (s, write) => write(ctx.colors.red(s)),
    })
    .exitOverride();
  program.hook('preAction', (thisCommand) => {
    ctx.configPath = thisCommand.opts().config;
  });
  program.addHelpText(
    'after',
    `
Examples:
  $ artisan make:job SendWelcomeEmail
  $ artisan queue:work --queue emails,default --concurrency 10
  $ artisan queue:status
  $ artisan <command> --help`,
  );
  for (const register of commands) register(program, ctx);
  // Subcommands report through the same streams and never call process.exit themselves.
  for (const command of program.commands) {
    command
      .configureOutput(program.configureOutput())
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)');
  }
  return program;
}

/**
 * Runs `artisan` with `argv` (without node and the script) and resolves with the exit code.
 * Errors are printed, never thrown: a JobwrightError's message says what to do.
 */
export async function runCli(argv: string[], options: ContextOptions = {}): Promise<number> {
  const ctx = createContext(options);
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message =
      error instanceof JobwrightError || ctx.env.DEBUG === undefined
        ? (error as Error).message
        : ((error as Error).stack ?? String(error));
    ctx.stderr.write(`${ctx.colors.red('error:')} ${message}\n`);
    return 1;
  }
}
