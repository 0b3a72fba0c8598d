import { describeCliFlows } from './flows.js';

// The project's default store: no settings at all, the file under the project's storage/.
describeCliFlows('sqlite', async () => ({
  env: { QUEUE_CONNECTION: 'sqlite' },
  migrated: /Migrated sqlite \(.*\/storage\/jobs\.sqlite\)/,
}));
