// jobwright/testing: fakes and helpers for testing code that dispatches jobs.
export {
  type DispatchedJob,
  type FakeBatch,
  FakeDispatcher,
  type FakeSchedule,
  fakeQueue,
  runJob,
} from './fake-queue.js';
