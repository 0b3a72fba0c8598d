// Starts an isolate when jobwright runs from its TypeScript source (its own tests and bench):
// registers tsx in this thread or process, then loads the entry the worker named.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData?.entry ?? process.argv[2]);
