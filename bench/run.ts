/**
 * `npm run bench`: jobwright's drivers side by side with BullMQ, pg-boss and graphile-worker,
 * on the local PostgreSQL and Redis. Prints a markdown table; writes docs/benchmarks.md.
 * Options: --only a,b  --runs N  --quick  --smoke  --backlog N  --peer-backlog N
 *          --scenarios enqueue,process,isolation,latency,backlog  --jobs N  --write / --no-write
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { DATABASE_URL, REDIS_URL } from './adapters/services.js';
import { ISOLATION_CONCURRENCY, isolatedThroughput } from './isolation.js';
import {
  LAST_RUN,
  loadReportInput,
  type Machine,
  machineInfo,
  saveReportInput,
  writeReport,
} from './report.js';
import {
  backlogCost,
  enqueueBulk,
  enqueueInFlight,
  enqueueOneByOne,
  latency,
  type Measured,
  processing,
  type Sizes,
  type Target,
} from './scenarios.js';
import { median, spread } from './stats.js';
import { SYSTEMS } from './systems.js';
import { type Cell, markdownTable, type Row } from './table.js';
import type { Store, SystemModule } from './types.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    backlog: { type: 'string' },
    'peer-backlog': { type: 'string' },
    scenarios: { type: 'string' },
    jobs: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    render: { type: 'string' },
    merge: { type: 'string' },
  },
});

if (args.render) {
  // Rewrites docs/benchmarks.md from a saved run (after editing bench/findings.md), without rerunning.
  writeReport(loadReportInput(args.render));
  process.stdout.write(`wrote docs/benchmarks.md from ${args.render}\n`);
  process.exit(0);
}

if (args.help) {
  process.stdout.write(`npm run bench -- [options]

  --only a,b,c        systems: ${SYSTEMS.map((s) => s.id).join(', ')} (default: all)
  --runs N            runs per figure; each figure is their median (default 3)
  --quick             small sizes; does not write docs/benchmarks.md
  --smoke             memory and SQLite, tiny sizes, 1 run (what CI runs)
  --backlog N         the large backlog for jobwright drivers (default 1000000)
  --peer-backlog N    the large backlog for the peers (default: --backlog)
  --scenarios list    enqueue,process,isolation,latency,backlog (default: all)
  --jobs N            jobs per processing run (default 10000)
  --write/--no-write  write docs/benchmarks.md (default: on for full runs)
  --render FILE       rewrite docs/benchmarks.md from a saved run (the last one: ${LAST_RUN})
  --merge FILE        keep a saved run's figures for the systems not in --only (re-measure some)

DATABASE_URL and REDIS_URL pick the services (defaults: local PostgreSQL and Redis).
BENCH_CHILD_ARGS adds node flags to the worker processes, e.g. "--cpu-prof --cpu-prof-dir=prof".
`);
  process.exit(0);
}

const positive = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`--${name} takes a whole number from 1, not '${text}'`);
  return n;
};

const smoke = args.smoke;
const quick = args.quick || smoke;
const runs = positive('runs', args.runs, smoke ? 1 : 3);
const backlog = positive('backlog', args.backlog, smoke ? 500 : quick ? 20_000 : 1_000_000);
const sizes: Sizes = {
  oneByOne: smoke ? 20 : quick ? 200 : 1000,
  inFlight: smoke ? 100 : quick ? 1000 : 5000,
  bulkBatches: smoke ? 1 : quick ? 2 : 10,
  processJobs: positive('jobs', args.jobs, smoke ? 200 : quick ? 2000 : 10_000),
  latencySamples: smoke ? 10 : quick ? 50 : 200,
  latencyGapMs: 20,
  backlog,
  peerBacklog: positive('peer-backlog', args['peer-backlog'], backlog),
  backlogMeasure: Math.min(backlog, smoke ? 100 : quick ? 2000 : 10_000),
  processTimeoutMs: smoke ? 20_000 : 15_000,
};
const only = (args.only ?? (smoke ? 'memory,sqlite' : SYSTEMS.map((s) => s.id).join(',')))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const id of only) {
  if (!SYSTEMS.some((s) => s.id === id))
    throw new Error(`Unknown system '${id}' in --only: use ${SYSTEMS.map((s) => s.id).join(', ')}`);
}
const scenarios = new Set((args.scenarios ?? 'enqueue,process,isolation,latency,backlog').split(','));
const write = args.write ?? (!quick && !args['no-write']);

const log = (line: string) => process.stderr.write(`${line}\n`);

function reachable(url: string, port: number): Promise<boolean> {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: parsed.hostname || '127.0.0.1', port: Number(parsed.port) || port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const serviceUp = new Map<Store, Promise<boolean>>();
function storeAvailable(store: Store): Promise<boolean> {
  if (store !== 'postgres' && store !== 'redis') return Promise.resolve(true);
  let up = serviceUp.get(store);
  if (!up) {
    up = store === 'postgres' ? reachable(DATABASE_URL, 5432) : reachable(REDIS_URL, 6379);
    serviceUp.set(store, up);
  }
  return up;
}

const ROWS: Array<Omit<Row, 'cells'>> = [
  { key: 'enqueue-one', label: 'enqueue, one at a time, awaited', unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue-50', label: 'enqueue, 50 in flight', unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue-bulk', label: 'enqueue, bulk of 1,000', unit: 'jobs/s', better: 'higher' },
  { key: 'process-1x10', label: 'process no-op, 1 process × 10', unit: 'jobs/s', better: 'higher' },
  { key: 'process-1x50', label: 'process no-op, 1 process × 50', unit: 'jobs/s', better: 'higher' },
  { key: 'process-4x10', label: 'process no-op, 4 processes × 10', unit: 'jobs/s', better: 'higher' },
  ...(['none', 'thread', 'process'] as const).map((mode) => ({
    key: `isolation-${mode}`,
    label: `isolated no-op, 1 process × ${ISOLATION_CONCURRENCY}, ${mode === 'none' ? 'in process' : `in a ${mode}`}`,
    unit: 'jobs/s' as const,
    better: 'higher' as const,
  })),
  { key: 'cpu-1x50', label: 'worker CPU per job, 1 process × 50', unit: 'µs', better: 'lower' },
  { key: 'latency-p50', label: 'dispatch-to-start p50, idle worker', unit: 'ms', better: 'lower' },
  { key: 'latency-p95', label: 'dispatch-to-start p95', unit: 'ms', better: 'lower' },
  { key: 'latency-p99', label: 'dispatch-to-start p99', unit: 'ms', better: 'lower' },
  {
    key: 'backlog-small',
    label: `process ${sizes.backlogMeasure.toLocaleString('en-US')} pending (1 × 50)`,
    unit: 'jobs/s',
    better: 'higher',
  },
  {
    key: 'backlog-large',
    label: `process ${sizes.backlogMeasure.toLocaleString('en-US')} of a large backlog (1 × 50)`,
    unit: 'jobs/s',
    better: 'higher',
  },
  { key: 'backlog-ratio', label: 'large backlog ÷ small', unit: '×', better: 'higher' },
];
const rows: Row[] = ROWS.map((r) => ({ ...r, cells: new Map<string, Cell>() }));
const rowOf = (key: string) => rows.find((r) => r.key === key)!;

function record(key: string, system: string, measured: Measured[]): void {
  if (measured.length === 0) return;
  const runsOf = measured.map((m) => m.value);
  rowOf(key).cells.set(system, {
    value: median(runsOf),
    runs: runsOf,
    partial: measured.some((m) => m.partial) || undefined,
  });
}

async function repeat(times: number, fn: () => Promise<Measured | null>): Promise<Measured[]> {
  const out: Measured[] = [];
  for (let i = 0; i < times; i++) {
    const m = await fn();
    if (m) out.push(m);
  }
  return out;
}

const notes: string[] = [];
const settings = new Map<string, Pick<SystemModule, 'version' | 'settings'>>();
const backlogSizes = new Map<string, { size: number; seedSeconds: number }>();
const namespaces: Array<{ ns: string; system: SystemModule }> = [];
const dropped = new Set<string>();
let counter = 0;

/** Drops what a failed or interrupted run left behind; a run that finished dropped its own namespace. */
async function sweep(): Promise<void> {
  for (const { ns, system } of namespaces) {
    if (dropped.has(ns)) continue;
    try {
      const adapter = await system.open(ns);
      await adapter.stop();
      await adapter.drop();
    } catch {
      // best effort: the service may be gone
    }
  }
}

/** The system with its adapters' drop() recorded, so that the final sweep skips what is gone. */
function tracked(system: SystemModule): SystemModule {
  return {
    ...system,
    async open(ns: string) {
      const adapter = await system.open(ns);
      return {
        ...adapter,
        async drop() {
          await adapter.drop();
          dropped.add(ns);
        },
      };
    },
  };
}

async function benchSystem(info: (typeof SYSTEMS)[number]): Promise<void> {
  if (!(await storeAvailable(info.store))) {
    notes.push(`${info.label}: skipped, ${info.store} is not reachable.`);
    return;
  }
  let system: SystemModule | string;
  try {
    system = await info.load();
  } catch (error) {
    system = error instanceof Error ? error.message : String(error);
  }
  if (typeof system === 'string') {
    notes.push(`${info.label}: skipped, ${system}.`);
    log(`${info.label}: skipped (${system})`);
    return;
  }
  settings.set(info.id, system);
  const target: Target = {
    id: info.id,
    peer: info.family === 'peer',
    system: tracked(system),
    namespace: () => {
      // Schema names take letters, digits and _ only (system ids such as postgres-nohist have a -).
      const ns = `jwb_${info.id.replaceAll('-', '_')}_${process.pid}_${++counter}`;
      namespaces.push({ ns, system });
      return ns;
    },
  };
  const step = async (label: string, fn: () => Promise<void>) => {
    const started = performance.now();
    log(`${info.label}: ${label}`);
    try {
      await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      notes.push(`${info.label}, ${label}: failed (${message}).`);
      log(`${info.label}: ${label} FAILED: ${error instanceof Error ? error.stack : error}`);
    }
    log(`${info.label}: ${label} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  if (scenarios.has('enqueue')) {
    await step('enqueue one by one', async () =>
      record('enqueue-one', info.id, await repeat(runs, () => enqueueOneByOne(target, sizes))),
    );
    await step('enqueue 50 in flight', async () =>
      record('enqueue-50', info.id, await repeat(runs, () => enqueueInFlight(target, sizes))),
    );
    await step('enqueue bulk', async () =>
      record('enqueue-bulk', info.id, await repeat(runs, () => enqueueBulk(target, sizes))),
    );
  }
  if (scenarios.has('process')) {
    for (const [processes, concurrency] of [
      [1, 10],
      [1, 50],
      [4, 10],
    ] as const) {
      await step(`process ${processes} × ${concurrency}`, async () => {
        const measured = await repeat(runs, () => processing(target, sizes, processes, concurrency));
        record(`process-${processes}x${concurrency}`, info.id, measured);
        if (processes === 1 && concurrency === 50) {
          const cpu = measured.flatMap((m) => (m.cpuPerJob === undefined ? [] : [{ value: m.cpuPerJob }]));
          record('cpu-1x50', info.id, cpu);
        }
      });
    }
  }
  if (scenarios.has('isolation') && (info.store === 'memory' || info.store === 'sqlite')) {
    // Isolation costs the same on every store: measured on the two that need no service.
    for (const mode of ['none', 'thread', 'process'] as const) {
      await step(`isolated no-op, ${mode}`, async () => {
        const jobs = smoke ? 100 : quick ? 1000 : 5000;
        const store = info.store as 'memory' | 'sqlite';
        record(`isolation-${mode}`, info.id, await repeat(runs, () => isolatedThroughput(store, mode, jobs)));
      });
    }
  }
  if (scenarios.has('latency')) {
    await step('latency', async () => {
      const results = [];
      for (let r = 0; r < runs; r++) results.push(await latency(target, sizes));
      for (const p of ['p50', 'p95', 'p99'] as const)
        record(
          `latency-${p}`,
          info.id,
          results.map((x) => ({ value: x[p] })),
        );
      const lost = results.filter((x) => x.samples < sizes.latencySamples);
      if (lost.length)
        notes.push(
          `${info.label}: a latency run saw only ${lost.map((x) => x.samples).join(', ')} of ${sizes.latencySamples} jobs within 15 s.`,
        );
    });
  }
  if (scenarios.has('backlog')) {
    await step('backlog', async () => {
      const result = await backlogCost(target, sizes, runs, log);
      backlogSizes.set(info.id, { size: result.backlog, seedSeconds: result.seedSeconds });
      record('backlog-small', info.id, result.small);
      record('backlog-large', info.id, result.large);
      const small = median(result.small.map((m) => m.value));
      const large = median(result.large.map((m) => m.value));
      rowOf('backlog-ratio').cells.set(info.id, { value: large / small, runs: [] });
    });
  }
}

function report(
  before: Machine,
  after: Machine,
  seconds: number,
): { table: string; present: string[]; rows: Row[]; notes: string[] } {
  const present = SYSTEMS.filter((s) => settings.has(s.id)).map((s) => s.id);
  const usedRows = rows.filter((r) => r.cells.size > 0);
  const table = markdownTable(usedRows, present);
  const backlogNote = [...backlogSizes]
    .map(
      ([id, b]) =>
        `${SYSTEMS.find((s) => s.id === id)!.label} ${b.size.toLocaleString('en-US')} (stored in ${b.seedSeconds.toFixed(0)} s)`,
    )
    .join('; ');
  const allNotes = backlogNote ? [...notes, `Large backlog per system: ${backlogNote}.`] : [...notes];
  const spreads = usedRows.flatMap((r) =>
    [...r.cells].filter(([, c]) => c.runs.length > 1).map(([id, c]) => ({ r, id, value: spread(c.runs) })),
  );
  if (spreads.length > 0) {
    const worst = spreads.reduce((a, b) => (b.value > a.value ? b : a));
    allNotes.push(
      `Noise: run-to-run spread ((max − min) ÷ median) is ${Math.round(100 * median(spreads.map((x) => x.value)))} % for the median figure, ${Math.round(100 * worst.value)} % at worst (${worst.r.label}, ${systemLabel(worst.id)}).`,
    );
  }
  if (write) {
    const input = {
      table,
      rows: usedRows,
      present,
      notes: allNotes,
      settings,
      before,
      after,
      runs,
      sizes,
      seconds,
    };
    writeReport(input);
    saveReportInput(input);
  }
  return { table, present, rows: usedRows, notes: allNotes };
}

/** With --merge: the saved run's figures, settings and notes of every system this run does not measure. */
function mergeBase(file: string): Machine {
  const base = loadReportInput(file);
  for (const row of base.rows) {
    const mine = rows.find((r) => r.key === row.key);
    if (!mine) continue;
    // Every saved figure is kept; this run's figures replace those it measures again.
    for (const [id, cell] of row.cells) mine.cells.set(id, cell);
  }
  for (const [id, module] of base.settings) settings.set(id, module);
  const labels = only.map(systemLabel);
  for (const note of base.notes) {
    const sizes = /^Large backlog per system: (.*)\.$/.exec(note);
    if (sizes) {
      for (const part of sizes[1]!.split('; ')) {
        const m = /^(.*) ([\d,]+) \(stored in (\d+) s\)$/.exec(part);
        const id = m && SYSTEMS.find((x) => x.label === m[1])?.id;
        if (m && id && !(only.includes(id) && scenarios.has('backlog')))
          backlogSizes.set(id, { size: Number(m[2]!.replaceAll(',', '')), seedSeconds: Number(m[3]) });
      }
    } else if (!note.startsWith('Noise:') && !labels.some((l) => note.startsWith(l))) notes.push(note);
  }
  notes.push(
    `${labels.join(', ')}: re-measured at ${new Date().toISOString().slice(11, 16)} UTC and merged into the run of ${base.before.at}.`,
  );
  return base.before;
}

async function main(): Promise<void> {
  const before = args.merge ? mergeBase(args.merge) : await machineInfo();
  log(`jobwright benchmark: ${only.join(', ')}; ${runs} run(s) each${quick ? ', quick sizes' : ''}`);
  const started = Date.now();
  try {
    for (const info of SYSTEMS) {
      if (!only.includes(info.id)) continue;
      await benchSystem(info);
      // Written after every system, so that an interrupted run still leaves what it measured.
      if (write) report(before, await machineInfo(), (Date.now() - started) / 1000);
    }
  } finally {
    await sweep();
  }
  const final = report(before, await machineInfo(), (Date.now() - started) / 1000);
  const { table, present } = final;
  process.stdout.write(`\n${table}\n\n`);
  for (const note of final.notes) process.stdout.write(`- ${note}\n`);
  for (const id of present) {
    process.stdout.write(
      `- ${systemLabel(id)} ${settings.get(id)!.version}: ${settings.get(id)!.settings}\n`,
    );
  }
  if (write) log('wrote docs/benchmarks.md');
}

const systemLabel = (id: string) => SYSTEMS.find((s) => s.id === id)!.label;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
