// Runs with `pg` made unresolvable (see no-pg-hooks.mjs): importing jobwright must work, and
// using the PostgreSQL driver must fail with an error that says what to install.
import { DatabaseQueueDriver } from '../../../src/index.js';

const driver = new DatabaseQueueDriver('postgres://127.0.0.1:1/none');
try {
  await driver.migrate();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  const e = error as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
}
