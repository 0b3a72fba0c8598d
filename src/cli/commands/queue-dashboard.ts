import type { Command } from 'commander';
import { type CliContext, describeStore, println } from '../context.js';
import { parseCount } from '../format.js';

interface DashboardCliOptions {
  port?: number;
  host?: string;
  basePath?: string;
  refresh?: number;
}

export function registerQueueDashboard(program: Command, ctx: CliContext): void {
  program
    .command('queue:dashboard')
    .description('Serve the web dashboard: queues, throughput, jobs, failed jobs, workers')
    .option(
      '--port <port>',
      'port to listen on (default 4747; 0 picks a free one)',
      parseCount('--port', 0, 65_535),
    )
    .option('--host <host>', 'interface (default 127.0.0.1; another one needs JOBWRIGHT_DASHBOARD_TOKEN)')
    .option('--base-path <path>', "serve under a path prefix, e.g. '/jobs' behind a proxy")
    .option(
      '--refresh <seconds>',
      'live pages (0: off); otherwise how often a page polls when it cannot hold an event stream (default 5)',
      parseCount('--refresh', 0, 86_400),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ artisan queue:dashboard                          http://127.0.0.1:4747, this machine only
  $ JOBWRIGHT_DASHBOARD_TOKEN=$(openssl rand -base64 24) artisan queue:dashboard --host 0.0.0.0

Without JOBWRIGHT_DASHBOARD_TOKEN it listens on 127.0.0.1 only and refuses other hosts. With it,
pages ask for the token once (a session cookie) and the JSON API under /api takes it as
"Authorization: Bearer <token>". Stops on SIGTERM or SIGINT.`,
    )
    .action((options: DashboardCliOptions) => serveDashboard(ctx, options));
}

async function serveDashboard(ctx: CliContext, options: DashboardCliOptions): Promise<void> {
  const { dispatcher, config } = await ctx.openDispatcher({ required: false, loadJobs: false });
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const removeSignalHandler = ctx.onShutdownSignal(() => stop());
  try {
    // Loaded on use: the other commands never pay for the web server.
    const { startDashboard } = await import('../../dashboard/index.js');
    const server = await startDashboard({
      dispatcher,
      port: options.port,
      host: options.host,
      basePath: options.basePath,
      refreshSeconds: options.refresh,
      token: ctx.env.JOBWRIGHT_DASHBOARD_TOKEN ?? '',
      log: (line) => println(ctx, `${line}, store ${describeStore(config)}. Stop with Ctrl+C.`),
    });
    await stopped;
    await server.close();
  } finally {
    removeSignalHandler();
    await dispatcher.close({ graceSeconds: 0 });
  }
}
