// Runs with a driver's client package made unresolvable (see no-pg-hooks.mjs, no-ioredis-hooks.mjs):
// importing jobwright must work, and using that driver must fail with an error that says what to
// install. argv[2] picks the driver from a fixed list (never a module named by data).
import { DatabaseQueueDriver, RedisQueueDriver } from '../../src/index.js';

const which = process.argv[2];
const driver =
  which === 'postgres'
    ? new DatabaseQueueDriver('postgres://127.0.0.1:1/none')
    : which === 'redis'
      ? new RedisQueueDriver('redis://127.0.0.1:1')
      : undefined;
if (!driver) throw new Error(`missing-dependency-child: unknown driver '${which}' (postgres or redis)`);
try {
  await driver.migrate();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const e = error as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
}
