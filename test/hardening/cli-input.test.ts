import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { artisanInProcess, Background, cleanEnv, makeProject, runArtisan } from '../cli/helpers.js';

/** Bad command-line input and broken config files: a clear message and exit 1 each. */

const artisan = artisanInProcess;

const HELLO_JOB = `import { Job } from 'jobwright';

export class HelloJob extends Job {
  constructor(public name = 'world') {
    super();
  }
  override jobName() {
    return 'HelloJob';
  }
  async handle() {}
}
`;

const projects: Array<{ remove(): void }> = [];
function project(configBody: string, jobs: Record<string, string> = { 'hello.ts': HELLO_JOB }) {
  const p = makeProject(configBody);
  projects.push(p);
  for (const [file, text] of Object.entries(jobs)) writeFileSync(join(p.dir, 'src/app/jobs', file), text);
  return p.dir;
}
afterEach(() => {
  for (const p of projects.splice(0)) p.remove();
});
afterAll(() => Background.killAll());

const CONFIG = "{ jobsDir: 'src/app/jobs', pollIntervalMs: 50 }";

describe('queue:dispatch', () => {
  it.each([
    ['[1,2]', /--payload must be a JSON object of the job's fields.*\(got an array\)/],
    ['null', /--payload must be a JSON object.*\(got null\)/],
    ['"text"', /--payload must be a JSON object.*\(got string\)/],
    [`{"a":${'{"a":'.repeat(99)}1${'}'.repeat(99)}}`, /--payload\.a\.a.* is nested deeper than 32 levels/],
    ['{"constructor":1}', /--payload\.constructor is a key named 'constructor'/],
  ])('--payload %s is refused with exit 1', async (payload, message) => {
    const dir = project(CONFIG);
    const result = await artisan(dir, ['queue:dispatch', 'HelloJob', '--payload', payload]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    const status = await artisan(dir, ['queue:status', '--json']);
    expect(JSON.parse(status.stdout)).toEqual([]);
  });

  it.each([
    ['--priority', ''],
    ['--priority', '1.5'],
    ['--priority', '1e10'],
  ])('%s %j is refused with exit 1', async (option, value) => {
    const dir = project(CONFIG);
    const result = await artisan(dir, ['queue:dispatch', 'HelloJob', option, value]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--priority must be a whole number from -2147483647 to 2147483647/);
  });

  it('--delay past ten years is a typed error', async () => {
    const dir = project(CONFIG);
    const result = await artisan(dir, ['queue:dispatch', 'HelloJob', '--delay', '1e13']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Invalid delay 10000000000000: use seconds from 0 to 315360000/);
  });
});

describe('broken config files', () => {
  it.each([
    ['throw null;', /Cannot load .*jobwright\.config\.ts: it threw null \(not an Error\)/],
    ["throw 'nope';", /Cannot load .*jobwright\.config\.ts: it threw the string "nope"/],
    ['throw { reason: 1 };', /it threw \{"reason":1\} \(not an Error\)/],
  ])('a config that runs `%s` is a clear error and exit 1', async (statement, message) => {
    const dir = project(CONFIG);
    writeFileSync(join(dir, 'jobwright.config.ts'), `${statement}\nexport default {};\n`);
    const result = await artisan(dir, ['queue:work']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/Cannot read properties/);
  });

  it.each([
    [
      "{ jobsDir: 'src/app/jobs', leaseSeconds: -1 }",
      /The setting leaseSeconds: -1 is not valid: use seconds from 0\.1/,
    ],
    ["{ jobsDir: 'src/app/jobs', workerConcurrency: -3 }", /workerConcurrency: -3 is not valid/],
    ["{ jobsDir: 'src/app/jobs', pollIntervalMs: 0 }", /pollIntervalMs: 0 is not valid/],
    ["{ jobsDir: 'src/app/jobs', maxPayloadBytes: -1 }", /maxPayloadBytes: -1 is not valid/],
    ["{ jobsDir: 'src/app/jobs', defaultQueue: 'bad queue!' }", /defaultQueue: "bad queue!" is not valid/],
  ])('the config %s is refused by the same rules as the environment', async (body, message) => {
    const dir = project(body);
    const result = await artisan(dir, ['queue:work']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/jobwright\.config\.ts: /);
    expect(result.stderr).toMatch(message);
  });

  it('two job classes in jobsDir under one name stop queue:work with exit 1', async () => {
    const other = HELLO_JOB.replace('class HelloJob', 'class OtherHello');
    const dir = project(CONFIG, { 'hello.ts': HELLO_JOB, 'other.ts': other });
    const result = await artisan(dir, ['queue:work']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Two job classes answer to the name 'HelloJob' \(HelloJob and OtherHello\)/,
    );
  });

  it('a config whose top-level await never settles is a clear error and exit 1 (not a silent 13)', async () => {
    const dir = project(CONFIG);
    writeFileSync(
      join(dir, 'jobwright.config.ts'),
      "await new Promise(() => {});\nexport default { jobsDir: 'src/app/jobs' };\n",
    );
    const result = await runArtisan(['queue:status'], dir, cleanEnv({ JOBWRIGHT_CONFIG_TIMEOUT: '1' }));
    expect(result.stderr).toMatch(
      /jobwright\.config\.ts did not finish loading within 1 s \(JOBWRIGHT_CONFIG_TIMEOUT\): a top-level await/,
    );
    expect(result.code).toBe(1);
  });
});

describe('queue:work', () => {
  it.each([[','], [' , '], ['emails,bad queue!']])(
    '--queue %j is a clear error and exit 1',
    async (queue) => {
      const dir = project(CONFIG);
      const result = await artisan(dir, ['queue:work', '--queue', queue]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/names no queue|Invalid queue name "bad queue!"/);
      expect(result.stdout).not.toMatch(/Working/);
    },
  );

  it.each([
    ['--max-time', '1e9', /--max-time must be a number above 0, up to 31622400/],
    ['--grace', '3000000', /--grace must be a number above 0, up to 2000000/],
    ['--concurrency', '100000', /--concurrency must be a whole number from 1 to 10000/],
  ])('%s %s is refused with exit 1', async (option, value, message) => {
    const dir = project(CONFIG);
    const result = await artisan(dir, ['queue:work', option, value]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('--max-time 2592000 (30 days) keeps working instead of recycling at once', {
    timeout: 180_000,
  }, async () => {
    const dir = project(CONFIG);
    mkdirSync(join(dir, 'storage'), { recursive: true });
    const env = cleanEnv();
    const worker = new Background(['queue:work', '--max-time', '2592000'], dir, env);
    await worker.waitFor(/Working 'default'/);
    const dispatched = await runArtisan(['queue:dispatch', 'HelloJob', '--json'], dir, env);
    expect(dispatched.code).toBe(0);
    const { id } = JSON.parse(dispatched.stdout) as { id: string };
    await worker.waitFor(new RegExp(`DONE +HelloJob ${id}`));
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(worker.stdout).toMatch(/Stopping \(received SIGTERM\)/);
    expect(worker.stdout).not.toMatch(/recycling/);
  });
});
