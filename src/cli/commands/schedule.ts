import type { Command } from 'commander';
import type { JobDispatcher } from '../../dispatcher.js';
import type { ScheduleDefinition } from '../../schedules/schedule-rules.js';
import {
  type CliContext,
  describeStore,
  printJson,
  println,
  reachStore,
  withDispatcher,
} from '../context.js';
import { formatTime, table } from '../format.js';

/** Stores the config file's schedules (a known name is replaced). */
export async function storeScheduleDefinitions(
  dispatcher: JobDispatcher,
  definitions: ScheduleDefinition[],
): Promise<void> {
  for (const s of definitions) {
    await dispatcher.schedule(s.name, s.cron, s.job, { timezone: s.timezone, catchUp: s.catchUp });
  }
}

export function registerSchedule(program: Command, ctx: CliContext): void {
  program
    .command('schedule:work')
    .description('Run the scheduler until SIGTERM or SIGINT: dispatch each tick of every schedule')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan schedule:work

Stores the schedules of jobwright.config.ts (replacing those of the same name), then dispatches
every stored schedule's ticks. Run as many as you like, on as many machines: each tick is
claimed in the store, so it is dispatched once. Ticks from while no scheduler ran are not
replayed, unless the schedule says catchUp (then once).`,
    )
    .action(async () => {
      const { dispatcher, config, project } = await ctx.openDispatcher({ required: true, loadJobs: true });
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const removeSignalHandler = ctx.onShutdownSignal(() => stop());
      try {
        await reachStore(ctx, dispatcher, config);
        await storeScheduleDefinitions(dispatcher, project.schedules);
        dispatcher.on('worker:error', (e) => ctx.stderr.write(`scheduler: ${e.error.message}\n`));
        dispatcher.on('job:dispatched', (e) => println(ctx, `dispatched ${e.jobName} (${e.jobId})`));
        await dispatcher.startScheduler();
        const count = (await dispatcher.schedules()).length;
        println(
          ctx,
          `Scheduler running ${count} schedule(s), store ${describeStore(config)}. Stop with Ctrl+C.`,
        );
        await stopped;
      } finally {
        removeSignalHandler();
        await dispatcher.close({ graceSeconds: 0 });
      }
    });

  program
    .command('schedule:list')
    .description('Every schedule with its next run (the config file’s and the stored ones)')
    .option('--json', 'print the schedules as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ artisan schedule:list
  $ artisan schedule:list --json`,
    )
    .action((options: { json?: boolean }) =>
      withDispatcher(
        ctx,
        async (dispatcher) => {
          const { schedules: definitions } = await ctx.project({ loadJobs: true });
          const stored = new Map((await dispatcher.schedules()).map((s) => [s.name, s]));
          const now = new Date();
          const { nextTicks } = await import('../../schedules/schedule-rules.js');
          const rows = [
            ...stored.values(),
            ...definitions
              .filter((d) => !stored.has(d.name))
              .map((d) => ({
                name: d.name,
                cron: d.cron,
                timezone: d.timezone ?? null,
                catchUp: d.catchUp === true,
                jobName: d.job.jobName(),
                queueName: d.job.queueName(),
                lastTick: null,
                nextTick: nextTicks(d.cron, d.timezone ?? null, now, 1)[0] ?? null,
              })),
          ].sort((a, b) => (a.name < b.name ? -1 : 1));
          if (options.json) return printJson(ctx, rows);
          if (rows.length === 0)
            return println(ctx, 'No schedules. Add some to jobwright.config.ts: schedules: [...]');
          println(
            ctx,
            table(
              ['NAME', 'CRON', 'TIMEZONE', 'JOB', 'QUEUE', 'LAST RUN', 'NEXT RUN'],
              rows.map((s) => [
                s.name,
                s.cron,
                s.timezone ?? 'UTC',
                s.jobName,
                s.queueName,
                formatTime(s.lastTick),
                formatTime(s.nextTick),
              ]),
              ctx.colors.bold,
            ),
          );
        },
        { loadJobs: true },
      ),
    );
}
