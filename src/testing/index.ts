// jobwright/testing: fakes and helpers for testing code that dispatches jobs.
export { type DispatchedJob, FakeDispatcher, fakeQueue, runJob } from './fake-queue.js';
