/**
 * Cross-process wake-ups on SQLite (src/drivers/sqlite/wakeups.ts): an idle worker in another
 * process starts a new job because it was woken, not because it polled; where fs.watch does not
 * work, the poll still finds the job; close() leaves no watch behind.
 */

import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import {
  activeWatchCount,
  queueOfWakeFile,
  SqliteWakeups,
  wakeFileName,
} from '../../../src/drivers/sqlite/wakeups.js';
import { ConfigError, JobDispatcher, SqliteQueueDriver } from '../../../src/index.js';
import { readLedger } from '../../support/fault/ledger.js';
import { LedgerJob } from '../../support/fault/ledger-job.js';
import { FAULT_ENV, waitFor } from '../../support/fault/scenarios.js';
import { type LedgerWorker, spawnLedgerWorker } from '../../support/fault/spawn-worker.js';
import { silentWatch } from '../../support/targets.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function store(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobwright-wake-${name}-`));
  const file = join(dir, 'jobs.sqlite');
  const ledger = join(dir, 'ledger.tsv');
  const producer = new JobDispatcher(new SqliteQueueDriver(file), { jobs: [LedgerJob] });
  const workers: LedgerWorker[] = [];
  cleanups.push(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await producer.close({ graceSeconds: 0 });
    rmSync(dir, { recursive: true, force: true });
  });
  const spawn = (spec: Record<string, string>, env: Record<string, string>) => {
    const worker = spawnLedgerWorker({
      driver: 'sqlite',
      spec: { file, ...spec },
      ledger,
      concurrency: 2,
      env,
    });
    workers.push(worker);
    return worker;
  };
  const started = (id: string) => readLedger(ledger).some((l) => l.kind === 'start' && l.jobId === id);
  return { file, producer, spawn, started };
}

it('an idle worker in another process starts a new job when woken: its poll is an hour away', async () => {
  const s = store('cross');
  // Polls and sweeps an hour apart: only a wake-up can start the job within the test.
  const hour = '3600000';
  const worker = s.spawn({ idlePollMs: hour }, { ...FAULT_ENV, JOB_POLL_INTERVAL_MS: hour });
  await worker.ready;
  // Twice: the first dispatch creates the queue's wake file, the second only touches it.
  for (const n of [1, 2]) {
    const id = await s.producer.dispatch(new LedgerJob(n), { queue: 'fault' });
    await waitFor(`job ${n} started in the worker process`, () => s.started(id), 20_000);
  }
}, 40_000);

it('where fs.watch reports nothing, the idle poll still finds work from another process', async () => {
  const s = store('silent');
  const worker = s.spawn({ watch: 'silent' }, FAULT_ENV);
  await worker.ready;
  const id = await s.producer.dispatch(new LedgerJob(1), { queue: 'fault' });
  await waitFor('job started by the poll', () => s.started(id), 20_000);
}, 40_000);

it('gives up on fs.watch when the probe touch is never seen, or when watching throws', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-wake-probe-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const silent = new SqliteWakeups(join(dir, 'a.sqlite'), new EventEmitter(), silentWatch);
  const stopSilent = silent.listen();
  expect(await silent.ready()).toBe('polling');
  const throwing = new SqliteWakeups(join(dir, 'b.sqlite'), new EventEmitter(), () => {
    throw Object.assign(new Error('inotify watch limit reached'), { code: 'ENOSPC' });
  });
  const stopThrowing = throwing.listen();
  expect(await throwing.ready()).toBe('polling');
  const working = new SqliteWakeups(join(dir, 'c.sqlite'), new EventEmitter());
  const stopWorking = working.listen();
  expect(await working.ready()).toBe('watching');
  for (const stop of [stopSilent, stopThrowing, stopWorking]) stop();
  for (const w of [silent, throwing, working]) w.close();
  expect(activeWatchCount()).toBe(0);
});

it('delivers a touch of a queue file as a wake-up of that queue only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-wake-hub-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'jobs.sqlite');
  const hub = new EventEmitter();
  const heard: string[] = [];
  hub.on('wake', (queue: string) => heard.push(queue));
  const watcher = new SqliteWakeups(file, hub);
  const sender = new SqliteWakeups(file, new EventEmitter());
  cleanups.push(() => {
    sender.close();
    watcher.close();
  });
  const stop = watcher.listen();
  expect(await watcher.ready()).toBe('watching');
  // The sender plays another process: an instance that only sends.
  for (const queue of ['Emails:high', 'emails:high']) sender.notify(queue);
  await waitFor(
    'both queues heard',
    () => heard.includes('Emails:high') && heard.includes('emails:high'),
    10_000,
  );
  expect(new Set(heard)).toEqual(new Set(['Emails:high', 'emails:high']));
  stop();
});

it('names wake files so that case, colons and dots cannot collide, and refuses names too long', () => {
  const names = ['default', 'Default', 'emails:high', '.', '..', 'a.b', 'x-y_z'];
  const files = names.map(wakeFileName);
  expect(new Set(files.map((f) => f!.toLowerCase())).size).toBe(names.length);
  for (const [i, name] of names.entries()) expect(queueOfWakeFile(files[i]!)).toBe(name);
  expect(files).not.toContain('.');
  expect(files).not.toContain('..');
  expect(queueOfWakeFile('~probe')).toBeNull();
  expect(queueOfWakeFile('Default')).toBeNull();
  expect(wakeFileName('A'.repeat(255))).toBeNull();
  expect(wakeFileName('a'.repeat(255))).toBe('a'.repeat(255));
});

it('close() stops the watch of a driver whose worker subscribed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-wake-close-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const driver = new SqliteQueueDriver(join(dir, 'jobs.sqlite'));
  const dispatcher = new JobDispatcher(driver, { jobs: [LedgerJob] });
  await dispatcher.startWorker('fault', 1);
  expect(activeWatchCount()).toBe(1);
  expect(await driver.wakeupMode()).toBe('watching');
  await dispatcher.close({ graceSeconds: 0 });
  expect(activeWatchCount()).toBe(0);
});

it('refuses an idle poll out of bounds with a typed error', () => {
  for (const idlePollMs of [0, 4, 1.5, 3_600_001, Number.NaN]) {
    expect(() => new SqliteQueueDriver(':memory:', { idlePollMs })).toThrow(ConfigError);
  }
});

it('a driver closed before its unsubscribe does not stop the watch another driver on the file uses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobwright-wake-shared-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'jobs.sqlite');
  const a = new SqliteQueueDriver(file);
  const b = new SqliteQueueDriver(file);
  const sender = new SqliteWakeups(file, new EventEmitter());
  cleanups.push(async () => {
    sender.close();
    await b.close();
  });
  const heard: string[] = [];
  const unsubscribeA = await a.subscribe(() => {});
  await b.subscribe((queue) => heard.push(queue));
  await a.close();
  unsubscribeA();
  expect(activeWatchCount()).toBe(1);
  // The sender plays another process.
  sender.notify('shared');
  await waitFor('b woken', () => heard.includes('shared'), 10_000);
  await b.close();
  expect(activeWatchCount()).toBe(0);
});
