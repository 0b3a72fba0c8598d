/**
 * A process of the unique-jobs test: waits for "go" from its parent, then dispatches `COUNT`
 * jobs with one unique id at once and sends back the ids it got.
 */
import { Job, JobDispatcher } from '../../src/index.js';
import { openFaultDriver } from '../support/fault/drivers.js';

class UniqueProbe extends Job {
  override jobName() {
    return 'flow.UniqueProbe';
  }
  override uniqueId() {
    return 'the-one';
  }
  async handle() {}
}

const driver = await openFaultDriver(process.env.FLOW_DRIVER!, JSON.parse(process.env.FLOW_SPEC!));
const dispatcher = new JobDispatcher(driver, { jobs: [UniqueProbe] });
await dispatcher.driver();
process.send!({ ready: true });
process.on('message', async () => {
  const count = Number(process.env.FLOW_COUNT);
  const ids = await Promise.all(Array.from({ length: count }, () => dispatcher.dispatch(new UniqueProbe())));
  process.send!({ ids }, () => {
    void dispatcher.close().then(() => process.exit(0));
  });
});
