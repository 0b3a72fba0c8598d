import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerActivity } from './activity.js';
import { registerBatches } from './batches.js';
import { registerClearFailed } from './clear-failed.js';
import { registerDispatch } from './dispatch.js';
import { registerFailed } from './failed.js';
import { registerFlow } from './flow.js';
import { registerForget } from './forget.js';
import { registerKeyGenerate } from './key-generate.js';
import { registerMakeJob } from './make-job.js';
import { registerMigrate } from './migrate.js';
import { registerPause } from './pause.js';
import { registerPrune } from './prune.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import { registerRetryFailed } from './retry-failed.js';
import { registerSchedule } from './schedule.js';
import { registerShow } from './show.js';
import { registerStatus } from './status.js';
import { registerWork } from './work.js';
import { registerWorkers } from './workers.js';

/** Adds one or more commands to the program. */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/**
 * Every command of `artisan`, in help order. To add one, write a registrar in its own file
 * under src/cli/commands/ and append it here.
 */
export const commands: CommandRegistrar[] = [
  registerMakeJob,
  registerMigrate,
  registerWork,
  registerStatus,
  registerWorkers,
  registerBatches,
  registerSchedule,
  registerFailed,
  registerShow,
  registerRetryFailed,
  registerClearFailed,
  registerForget,
  registerPrune,
  registerPause,
  registerFlow,
  registerActivity,
  registerDispatch,
  registerQueueDashboard,
  registerKeyGenerate,
];
