// From job.js, not the package root: each isolate imports this file and starts faster without the drivers.
import { Job, type JobIsolation } from '../src/job.js';

/** The benchmark's isolated no-op: `mode` says where it runs. */
export class IsolatedBenchJob extends Job {
  static module = import.meta.url;
  mode: JobIsolation = 'none';
  override jobName(): string {
    return 'IsolatedBenchJob';
  }
  override queueName(): string {
    return 'bench-isolation';
  }
  override isolation(): JobIsolation {
    return this.mode;
  }
  handle(): void {}
}
