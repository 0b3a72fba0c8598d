import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverVersions } from './adapters/services.js';
import { packageVersion } from './adapters/versions.js';
import type { Sizes } from './scenarios.js';
import { SYSTEMS } from './systems.js';
import { formatValue, type Row } from './table.js';
import type { SystemModule } from './types.js';

export interface Machine {
  at: string;
  cpu: string;
  nproc: number;
  memoryGb: number;
  node: string;
  postgres: string;
  redis: string;
  load: number[];
}

export async function machineInfo(): Promise<Machine> {
  const versions = await serverVersions();
  return {
    at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    nproc: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    ...versions,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export interface ReportInput {
  table: string;
  rows: Row[];
  present: string[];
  notes: string[];
  settings: Map<string, Pick<SystemModule, 'version' | 'settings'>>;
  before: Machine;
  after: Machine;
  runs: number;
  sizes: Sizes;
  seconds: number;
}

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** Where the inputs of the last written report are kept, so `--render` can rewrite the page (new findings) without a rerun. */
export const LAST_RUN = join(tmpdir(), 'jobwright-bench-last-run.json');

export function saveReportInput(input: ReportInput): void {
  const plain = {
    ...input,
    rows: input.rows.map((r) => ({ ...r, cells: [...r.cells] })),
    settings: [...input.settings].map(([id, m]) => [id, { version: m.version, settings: m.settings }]),
  };
  writeFileSync(LAST_RUN, JSON.stringify(plain));
}

export function loadReportInput(file: string): ReportInput {
  const plain = JSON.parse(readFileSync(file, 'utf8'));
  return {
    ...plain,
    rows: plain.rows.map(
      (r: Row & { cells: Array<[string, Row['cells'] extends Map<string, infer C> ? C : never]> }) => ({
        ...r,
        cells: new Map(r.cells),
      }),
    ),
    settings: new Map(plain.settings),
  };
}
const FINDINGS = fileURLToPath(new URL('./findings.md', import.meta.url));

function value(rows: Row[], key: string, system: string): number | undefined {
  return rows.find((r) => r.key === key)?.cells.get(system)?.value;
}

/** The issue's aims, each checked against this run's figures. */
function aims(rows: Row[]): string[] {
  const out: string[] = [];
  const check = (text: string, ok: boolean | undefined, detail: string) => {
    if (ok === undefined) return;
    out.push(`- ${ok ? 'met' : '**missed**'}: ${text} (${detail})`);
  };
  const proc = (id: string) => value(rows, 'process-1x50', id);
  const pg = proc('postgres');
  const gw = proc('graphile');
  const boss = proc('pgboss');
  const redis = proc('redis');
  const bull = proc('bullmq');
  const f = (n: number | undefined, unit: Row['unit'] = 'jobs/s') =>
    n === undefined ? 'n/a' : `${formatValue(n, unit)} ${unit}`;
  if (pg !== undefined && gw !== undefined)
    check(
      'PostgreSQL ≥ 1.5× graphile-worker processing (1 × 50)',
      pg >= 1.5 * gw,
      `${f(pg)} vs ${f(gw)}: ${(pg / gw).toFixed(2)}×`,
    );
  if (pg !== undefined && boss !== undefined)
    check('PostgreSQL ahead of pg-boss processing (1 × 50)', pg > boss, `${f(pg)} vs ${f(boss)}`);
  if (redis !== undefined && bull !== undefined)
    check(
      'Redis ≥ 1.5× BullMQ processing (1 × 50)',
      redis >= 1.5 * bull,
      `${f(redis)} vs ${f(bull)}: ${(redis / bull).toFixed(2)}×`,
    );
  const p99pg = value(rows, 'latency-p99', 'postgres');
  if (p99pg !== undefined) check('PostgreSQL p99 dispatch-to-start < 10 ms', p99pg < 10, f(p99pg, 'ms'));
  const p99r = value(rows, 'latency-p99', 'redis');
  if (p99r !== undefined) check('Redis p99 dispatch-to-start < 5 ms', p99r < 5, f(p99r, 'ms'));
  const mem = Math.max(proc('memory') ?? 0, value(rows, 'process-1x10', 'memory') ?? 0);
  if (mem > 0) check('memory driver ≥ 100,000 no-op jobs/s in one process', mem >= 100_000, f(mem));
  for (const id of ['sqlite', 'postgres', 'redis', 'memory']) {
    const ratio = value(rows, 'backlog-ratio', id);
    const label = SYSTEMS.find((s) => s.id === id)!.label;
    if (ratio !== undefined)
      check(`${label}: large backlog within 20% of a small one`, ratio >= 0.8, `${ratio.toFixed(2)}×`);
  }
  return out;
}

export function writeReport(input: ReportInput): string {
  const { before, after, sizes } = input;
  const labels = (id: string) => SYSTEMS.find((s) => s.id === id)!.label;
  const versions = input.present
    .map(
      (id) => `| ${labels(id)} | ${input.settings.get(id)!.version} | ${input.settings.get(id)!.settings} |`,
    )
    .join('\n');
  // Every run of every figure, one row per figure, to show the spread behind each median.
  const runsHeader = `| figure | ${input.present.map(labels).join(' | ')} |\n|---|${input.present.map(() => '---').join('|')}|`;
  const runsLines = input.rows
    .filter((r) => r.unit !== '×')
    .map((r) => {
      const cells = input.present.map((id) => {
        const c = r.cells.get(id);
        return c ? c.runs.map((v) => formatValue(v, r.unit)).join(' / ') : '–';
      });
      return `| ${r.label} | ${cells.join(' | ')} |`;
    })
    .join('\n');
  const findings = existsSync(FINDINGS) ? readFileSync(FINDINGS, 'utf8').trim() : '';
  const doc = `# Benchmarks

\`npm run bench\` measures jobwright's drivers side by side with BullMQ, pg-boss and graphile-worker,
in one run against the same local PostgreSQL and Redis. It is not a test: \`npm run bench:smoke\` (memory
and SQLite, tiny sizes, no timing asserted) is what CI runs.

\`\`\`sh
npm run bench                                  # everything, 3 runs, 1,000,000-job backlog
npm run bench -- --only postgres,graphile,pgboss --runs 5
npm run bench -- --quick                       # small sizes, does not write this file
npm run bench -- --backlog 100000 --peer-backlog 100000
DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench
\`\`\`

Each system runs in its own PostgreSQL schema, Redis key prefix or SQLite file, fresh for every run
and dropped after it (Redis keys are removed by prefix with SCAN + UNLINK, never FLUSHALL). Workers
run in child processes (\`bench/child.ts\`), except for the memory driver, which works in one
process by design.

## Latest run

${before.at}, ${input.runs} run(s) per figure, ${Math.round(input.seconds / 60)} min in all.
Machine: ${before.nproc} × ${before.cpu}, ${before.memoryGb} GB, Node ${before.node}, PostgreSQL ${before.postgres}, Redis ${before.redis}.
Load average before / after: ${before.load.join(' ')} / ${after.load.join(' ')} (the machine was shared; see the notes).

${input.table}

Each figure is the median of the runs. The ratio columns set jobwright's figure beside the peer's so
that **above 1× means jobwright is better** (throughput: ours ÷ theirs; latency: theirs ÷ ours).
A figure marked \\* hit its time limit (${sizes.processTimeoutMs / 1000} s) and is the rate over the jobs done by then.

${input.notes.map((n) => `- ${n}`).join('\n')}

### Aims of issue 8, checked against this run

${aims(input.rows).join('\n') || '- (no figure to check)'}

What limits each missed aim, with profiles and numbers: see [Findings and profiles](#findings-and-profiles).

### Systems, versions and settings

| system | version | settings (each peer's own recommendation for throughput) |
|---|---|---|
${versions}

Client packages: pg ${packageVersion('pg')}, ioredis ${packageVersion('ioredis')}, better-sqlite3 ${packageVersion('better-sqlite3')}.

## What each figure is

- **enqueue, one at a time**: ${sizes.oneByOne.toLocaleString('en-US')} single dispatches, each awaited before the next.
- **enqueue, 50 in flight**: ${sizes.inFlight.toLocaleString('en-US')} single dispatches, 50 outstanding at any time.
- **enqueue, bulk of 1,000**: ${sizes.bulkBatches} calls of the system's bulk API (jobwright \`dispatchMany\`, BullMQ \`addBulk\`, pg-boss \`insert\`, graphile-worker \`addJobs\`) with 1,000 jobs each.
- **process no-op**: ${sizes.processJobs.toLocaleString('en-US')} jobs stored first (bulk), then worker process(es) started together; the rate runs from the first job's start to the last one's, across processes. A job counts when its handler runs.
- **worker CPU per job**: user + system CPU of the worker process (1 × 50 run) from start to its last job, divided by the jobs it ran. It leaves out the store's own CPU (PostgreSQL, Redis), but unlike the rates it hardly moves when other programs load the machine.
- **dispatch-to-start**: an idle worker (concurrency 10) in another process (the memory driver: in the same process); the producer dispatches one job every ${sizes.latencyGapMs} ms, ${sizes.latencySamples} in all, each carrying \`performance.timeOrigin + performance.now()\` at dispatch; the handler subtracts it from the same clock (one machine). It includes the dispatch round trip.
- **backlog**: the rate of working the first ${sizes.backlogMeasure.toLocaleString('en-US')} jobs (1 process × 50) when they are all that is pending, against the same with the large backlog pending (stored once with bulk inserts, 4 calls in flight; each run takes the next ${sizes.backlogMeasure.toLocaleString('en-US')}).

### Every run

${runsHeader}
${runsLines}

${findings ? `## Findings and profiles\n\n${findings}\n` : ''}`;
  writeFileSync(DOC, doc);
  return DOC;
}
