// Runs with `ioredis` made unresolvable (see no-ioredis-hooks.mjs): importing jobwright must work,
// and using the Redis driver must fail with an error that says what to install.
import { RedisQueueDriver } from '../../../src/index.js';

const driver = new RedisQueueDriver('redis://127.0.0.1:1');
try {
  await driver.migrate();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const e = error as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
}
