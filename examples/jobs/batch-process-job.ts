import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, type JobContext } from '../../src/index.js';
import { appendJsonLine, dataPath, readJsonLines } from './example-data.js';

interface ChunkResult {
  chunk: number;
  items: string[];
  digests: string[];
}

/**
 * The seed's BatchProcessJob: works through its items in chunks on the low-priority
 * `batch-processing` queue, pausing between chunks so it does not starve other work. Each
 * chunk's result is appended to `<data dir>/batches/<batchId>.jsonl`; a retried run resumes
 * after the last chunk written instead of starting over.
 */
export class BatchProcessJob extends Job {
  constructor(
    public batchId: string,
    public itemIds: string[],
    public batchSize: number,
    /** The seed's 100 ms between chunks. */
    public pauseMs = 100,
  ) {
    super();
  }

  override jobName() {
    return 'BatchProcessJob';
  }
  override queueName() {
    return 'batch-processing';
  }
  override priority() {
    return 5;
  }

  resultPath(): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.batchId))
      throw new Error(`Batch id ${JSON.stringify(this.batchId)} is not a plain name`);
    return dataPath('batches', `${this.batchId}.jsonl`);
  }

  async handle(ctx: JobContext) {
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`batchSize ${this.batchSize} must be 1 or more`);
    const path = this.resultPath();
    const done = readJsonLines<ChunkResult>(path).length;
    const chunks = Math.ceil(this.itemIds.length / this.batchSize);
    for (let chunk = done; chunk < chunks; chunk++) {
      ctx.signal.throwIfAborted();
      const items = this.itemIds.slice(chunk * this.batchSize, (chunk + 1) * this.batchSize);
      appendJsonLine(path, {
        chunk,
        items,
        digests: items.map((id) => processItem(id)),
      } satisfies ChunkResult);
      if (chunk < chunks - 1 && this.pauseMs > 0)
        await sleep(this.pauseMs, undefined, { signal: ctx.signal });
    }
  }
}

/** The per-item work: a digest of the item, iterated so that it costs a little CPU like real work would. */
function processItem(id: string): string {
  let digest = id;
  for (let i = 0; i < 200; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest.slice(0, 16);
}
