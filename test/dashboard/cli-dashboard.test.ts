import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Background, cleanEnv, makeProject, runArtisan, useBuiltCli } from '../cli/helpers.js';

/** `artisan queue:dashboard` as a user runs it: a child process on the project's SQLite store. */
describe('artisan queue:dashboard', { timeout: 90_000 }, () => {
  let dir = '';
  let remove = () => {};

  beforeAll(async () => {
    await useBuiltCli();
    const project = makeProject('{}');
    dir = project.dir;
    remove = project.remove;
  }, 240_000);
  afterAll(() => remove());

  const urlOf = (stdout: string) => /jobwright dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)![1]!;

  test('serves on 127.0.0.1 without a token, says so, and stops on SIGTERM', async () => {
    const server = new Background(['queue:dashboard', '--port', '0'], dir, cleanEnv());
    try {
      await server.waitFor(/jobwright dashboard on http:\/\/127\.0\.0\.1:\d+\/ \(no token configured/);
      expect(server.stdout).toMatch(/store sqlite/);
      const response = await fetch(`${urlOf(server.stdout)}api/overview`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { driver: string }).driver).toBe('sqlite');
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  test('refuses another interface without a token', async () => {
    const result = await runArtisan(['queue:dashboard', '--port', '0', '--host', '0.0.0.0'], dir, cleanEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/without a token/);
  });

  test('with JOBWRIGHT_DASHBOARD_TOKEN it requires the token', async () => {
    const token = 'cli-dashboard-token-0a9f3e71-h4k8n2z';
    const env = cleanEnv({ JOBWRIGHT_DASHBOARD_TOKEN: token });
    const server = new Background(['queue:dashboard', '--port', '0'], dir, env);
    try {
      await server.waitFor(/\(token required\)/);
      const url = urlOf(server.stdout);
      expect((await fetch(`${url}api/overview`)).status).toBe(401);
      const ok = await fetch(`${url}api/overview`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });
});
