import PgBoss from 'pg-boss';
import type { Adapter, JobBody, JobHandler, SystemModule } from '../types.js';
import { DATABASE_URL, dropSchema } from './services.js';
import { packageVersion } from './versions.js';

const QUEUE = 'bench';

/**
 * pg-boss 10 has no per-job concurrency: its documented lever for throughput is `batchSize`
 * (the handler gets an array), and a worker waits out `pollingIntervalSeconds` between fetches.
 * We fetch 10 × the concurrency per poll at the minimum interval (0.5 s).
 */
const BATCH_PER_SLOT = 10;

export const pgbossSystem: SystemModule = {
  version: packageVersion('pg-boss'),
  settings: `one work() per process, batchSize = ${BATCH_PER_SLOT} × concurrency, pollingIntervalSeconds 0.5 (the minimum), schedule off; send / insert`,
  multiProcess: true,
  async open(ns: string): Promise<Adapter> {
    const schema = ns;
    let boss: PgBoss | undefined;
    const getBoss = async () => {
      if (!boss) {
        const b = new PgBoss({ connectionString: DATABASE_URL, schema, schedule: false, max: 10 });
        b.on('error', () => {});
        await b.start();
        boss = b;
      }
      return boss;
    };
    return {
      async reset() {
        await boss?.stop({ graceful: false, wait: true });
        boss = undefined;
        await dropSchema(schema);
        await (await getBoss()).createQueue(QUEUE);
      },
      async enqueueOne(body: JobBody) {
        await (await getBoss()).send(QUEUE, body);
      },
      async enqueueBulk(bodies: JobBody[]) {
        await (await getBoss()).insert(bodies.map((data) => ({ name: QUEUE, data })));
      },
      async startWorker(concurrency: number, onJob: JobHandler) {
        await (await getBoss()).work<JobBody>(
          QUEUE,
          { batchSize: BATCH_PER_SLOT * concurrency, pollingIntervalSeconds: 0.5 },
          async (jobs) => {
            for (const job of jobs) onJob(job.data);
          },
        );
      },
      async stopWorker() {
        await boss?.offWork(QUEUE);
      },
      async stop() {
        const b = boss;
        boss = undefined;
        await b?.stop({ graceful: true, wait: true, timeout: 5000 });
      },
      async drop() {
        await dropSchema(schema);
      },
    };
  },
};
