import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Adapter, JobBody, JobHandler, SystemModule } from '../types.js';
import { deleteRedisKeys, REDIS_URL } from './services.js';
import { packageVersion } from './versions.js';

const QUEUE = 'bench';

// BullMQ's production guide: auto-remove finished jobs so Redis memory stays bounded.
const KEEP = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };

export const bullmqSystem: SystemModule = {
  version: packageVersion('bullmq'),
  settings:
    'Worker({ concurrency }), removeOnComplete { count: 1000 }, removeOnFail { count: 5000 }; queue.add / addBulk',
  multiProcess: true,
  async open(ns: string): Promise<Adapter> {
    const prefix = ns;
    // Workers need maxRetriesPerRequest: null (BullMQ refuses blocking connections otherwise).
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection, prefix });
    let worker: Worker | undefined;
    let workerConnection: Redis | undefined;
    let closed = false;
    const stopWorker = async () => {
      await worker?.close();
      worker = undefined;
      workerConnection?.disconnect();
      workerConnection = undefined;
    };
    return {
      async reset() {
        await deleteRedisKeys(`${prefix}:*`);
      },
      async enqueueOne(body: JobBody) {
        await queue.add('noop', body);
      },
      async enqueueBulk(bodies: JobBody[]) {
        await queue.addBulk(bodies.map((data) => ({ name: 'noop', data })));
      },
      async startWorker(concurrency: number, onJob: JobHandler) {
        workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
        worker = new Worker(
          QUEUE,
          async (job) => {
            onJob(job.data as JobBody);
          },
          { connection: workerConnection, prefix, concurrency, ...KEEP },
        );
        await worker.waitUntilReady();
      },
      stopWorker,
      async stop() {
        if (closed) return;
        closed = true;
        await stopWorker();
        await queue.close();
        connection.disconnect();
      },
      async drop() {
        await deleteRedisKeys(`${prefix}:*`);
      },
    };
  },
};
