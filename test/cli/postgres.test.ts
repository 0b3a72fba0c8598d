import pg from 'pg';
import { DATABASE_URL, serviceAvailable } from '../support/services.js';
import { describeCliFlows } from './flows.js';

const available = await serviceAvailable('postgres');

// The CLI reaches PostgreSQL the way users do, through DATABASE_URL alone, which names no
// schema: so this file gets a database of its own, dropped at the end.
describeCliFlows(
  'postgres',
  async () => {
    const database = `jw_cli_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    const url = new URL(DATABASE_URL);
    url.pathname = `/${database}`;
    return {
      env: { DATABASE_URL: url.toString() },
      cleanup: async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        try {
          await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    };
  },
  { skip: !available },
);
