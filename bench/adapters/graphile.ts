import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import type { Adapter, JobBody, JobHandler, SystemModule } from '../types.js';
import { DATABASE_URL, dropSchema } from './services.js';
import { packageVersion } from './versions.js';

const quiet = new Logger(() => () => {});

// The configuration of graphile-worker's own performance page (worker.graphile.org/docs/performance):
// a local queue of 500, batched completion, a pool one larger than the concurrency.
const presetFor = (concurrency: number) => ({
  worker: {
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    maxPoolSize: concurrency + 1,
  },
});

export const graphileSystem: SystemModule = {
  version: packageVersion('graphile-worker'),
  settings:
    'run({ concurrency, maxPoolSize: concurrency + 1 }), localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 (its performance page); addJob / addJobs',
  multiProcess: true,
  async open(ns: string): Promise<Adapter> {
    const schema = ns;
    let utils: WorkerUtils | undefined;
    let runner: Runner | undefined;
    const getUtils = async () => {
      utils ??= await makeWorkerUtils({ connectionString: DATABASE_URL, schema, logger: quiet });
      return utils;
    };
    return {
      async reset() {
        await utils?.release();
        utils = undefined;
        await dropSchema(schema);
        await (await getUtils()).migrate();
      },
      async enqueueOne(body: JobBody) {
        await (await getUtils()).addJob('noop', body);
      },
      async enqueueBulk(bodies: JobBody[]) {
        await (await getUtils()).addJobs(bodies.map((payload) => ({ identifier: 'noop', payload })));
      },
      async startWorker(concurrency: number, onJob: JobHandler) {
        runner = await run({
          connectionString: DATABASE_URL,
          schema,
          concurrency,
          maxPoolSize: concurrency + 1,
          noHandleSignals: true,
          logger: quiet,
          preset: presetFor(concurrency),
          taskList: {
            noop: async (payload) => {
              onJob(payload as JobBody);
            },
          },
        });
      },
      async stopWorker() {
        await runner?.stop();
        runner = undefined;
      },
      async stop() {
        await runner?.stop();
        runner = undefined;
        await utils?.release();
        utils = undefined;
      },
      async drop() {
        await dropSchema(schema);
      },
    };
  },
};
