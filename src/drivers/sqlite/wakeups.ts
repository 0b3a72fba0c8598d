import type { EventEmitter } from 'node:events';
import { type FSWatcher, mkdirSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Wake-ups between processes on one SQLite file. SQLite has no notification channel, so the
 * folder `<file>-wake/` holds one empty file per queue: a process that makes work due there
 * touches that queue's file (one utimes call, after the commit), and every process with an idle
 * worker watches the folder (fs.watch: inotify, kqueue, ReadDirectoryChangesW) and wakes its
 * workers of the queue whose file changed. No process polls faster for it.
 *
 * Hints only: polling stays the truth. If the folder cannot be watched (fs.watch throws, errors
 * later, or a probe touch is never seen, as on some network or virtual file systems), the watch
 * is dropped and workers find new work by their idle poll, as before.
 */

/** How long the first watch waits to see its own probe touch before it gives up on fs.watch. */
const PROBE_TIMEOUT_MS = 2000;
/**
 * At most one touch per queue this often (a touch costs 5 to 20 µs): a burst of one-by-one
 * dispatches costs one touch a millisecond, and its last dispatch is still announced.
 */
const MIN_TOUCH_GAP_MS = 1;
/** A name no queue encodes to (encoded names hold only a-z 0-9 _ . - %): ignored by watchers. */
const PROBE_NAME = '~probe';
const ENCODED = /^[a-zA-F0-9_.%-]{1,255}$/;
const QUEUE = /^[A-Za-z0-9\-_.:]{1,255}$/;

export type WatchFunction = (
  folder: string,
  options: { persistent: boolean },
  listener: (event: string, name: string | Buffer | null) => void,
) => FSWatcher;

/** 'watching': fs.watch works here; 'polling': it does not, workers rely on their poll. */
export type WakeMode = 'starting' | 'watching' | 'polling';

/**
 * A queue's file name: lowercase letters, digits and `_ - .` as they are, anything else (capitals,
 * `:`, a leading `.`) as %XX, so that case-insensitive disks and Windows keep queues apart.
 * Null when the name would be too long for a file name: that queue relies on the poll.
 */
export function wakeFileName(queue: string): string | null {
  let name = '';
  for (let i = 0; i < queue.length; i++) {
    const ch = queue[i]!;
    const plain = /[a-z0-9_-]/.test(ch) || (ch === '.' && i > 0);
    name += plain ? ch : `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return name.length <= 255 ? name : null;
}

/** The queue a wake file names, or null for anything else found in the folder. */
export function queueOfWakeFile(name: string): string | null {
  if (!ENCODED.test(name)) return null;
  let queue: string;
  try {
    queue = decodeURIComponent(name);
  } catch {
    return null;
  }
  return QUEUE.test(queue) && wakeFileName(queue) === name ? queue : null;
}

interface Watch {
  watcher: FSWatcher | undefined;
  refs: number;
  mode: WakeMode;
  ready: Promise<WakeMode>;
  probeTimer: NodeJS.Timeout | undefined;
}

/** One watch per file per process, shared by every driver on that file (like the in-process hub). */
const watches = new Map<string, Watch>();

/** Touches and watches of one store file; the driver owns one and closes it. */
export class SqliteWakeups {
  readonly folder: string;
  private readonly pending = new Set<string>();
  private flushQueued = false;
  private readonly lastTouch = new Map<string, number>();
  /** Queues touched too recently: touched again when the gap has passed. */
  private readonly deferred = new Set<string>();
  private deferTimer: NodeJS.Timeout | undefined;
  /** The release of each listen() still open, so that close() and a late release never count twice. */
  private readonly releases = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly file: string,
    /** The in-process hub of this file: watch events are emitted on it as 'wake'. */
    private readonly hub: EventEmitter,
    private readonly watchFn: WatchFunction = watch,
  ) {
    this.folder = `${file}-wake`;
  }

  /**
   * Tells other processes that `queue` has due work. Touches are sent once per queue per batch
   * of microtasks: the twenty dispatches of one group commit cost one touch.
   */
  notify(queue: string): void {
    if (this.closed) return;
    this.pending.add(queue);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Starts watching (once per process and file) until the returned function is called. */
  listen(): () => void {
    const entry = this.retain();
    const release = () => {
      if (!this.releases.delete(release)) return;
      this.release(entry);
    };
    this.releases.add(release);
    return release;
  }

  /** Whether fs.watch is in use for this file; settles once the probe is seen or given up on. */
  ready(): Promise<WakeMode> {
    return watches.get(this.file)?.ready ?? Promise.resolve('polling');
  }

  close(): void {
    if (this.closed) return;
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    for (const queue of this.deferred) this.pending.add(queue);
    this.deferred.clear();
    // Announce what is left now, gap or not: after close there is no later.
    this.flush(Number.POSITIVE_INFINITY);
    this.closed = true;
    for (const release of [...this.releases]) release();
  }

  private flush(now = performance.now()): void {
    this.flushQueued = false;
    for (const queue of this.pending) {
      const name = wakeFileName(queue);
      if (name === null) continue;
      if (now - (this.lastTouch.get(queue) ?? Number.NEGATIVE_INFINITY) < MIN_TOUCH_GAP_MS) {
        this.deferred.add(queue);
        continue;
      }
      this.lastTouch.set(queue, now);
      touch(this.folder, name);
    }
    this.pending.clear();
    if (this.deferred.size > 0 && !this.deferTimer) {
      this.deferTimer = setTimeout(() => {
        this.deferTimer = undefined;
        for (const queue of this.deferred) this.pending.add(queue);
        this.deferred.clear();
        this.flush();
      }, MIN_TOUCH_GAP_MS);
    }
  }

  private retain(): Watch {
    const existing = watches.get(this.file);
    if (existing) {
      existing.refs++;
      return existing;
    }
    let settle!: (mode: WakeMode) => void;
    const entry: Watch = {
      watcher: undefined,
      refs: 1,
      mode: 'starting',
      ready: new Promise<WakeMode>((resolve) => (settle = resolve)),
      probeTimer: undefined,
    };
    watches.set(this.file, entry);
    const giveUp = () => {
      stopWatch(entry);
      entry.mode = 'polling';
      settle('polling');
    };
    try {
      mkdirSync(this.folder, { recursive: true });
      entry.watcher = this.watchFn(this.folder, { persistent: false }, (_event, raw) => {
        const name = typeof raw === 'string' ? raw : raw?.toString('utf8');
        if (name === undefined) return;
        if (name === PROBE_NAME) {
          if (entry.mode === 'starting') {
            clearTimeout(entry.probeTimer);
            entry.mode = 'watching';
            settle('watching');
          }
          return;
        }
        const queue = queueOfWakeFile(name);
        if (queue !== null && entry.mode !== 'polling') this.hub.emit('wake', queue);
      });
      // ENOSPC (inotify watches used up), the folder deleted, an unmounted disk: back to the poll.
      entry.watcher.on('error', giveUp);
      entry.probeTimer = setTimeout(giveUp, PROBE_TIMEOUT_MS);
      entry.probeTimer.unref();
      touch(this.folder, PROBE_NAME);
    } catch {
      giveUp();
    }
    return entry;
  }

  private release(entry: Watch): void {
    if (--entry.refs > 0) return;
    stopWatch(entry);
    if (watches.get(this.file) === entry) watches.delete(this.file);
  }
}

function stopWatch(entry: Watch): void {
  clearTimeout(entry.probeTimer);
  entry.probeTimer = undefined;
  const watcher = entry.watcher;
  entry.watcher = undefined;
  if (!watcher) return;
  watcher.removeAllListeners('error');
  // A late 'error' from the closed handle must not become an uncaught exception.
  watcher.on('error', () => {});
  watcher.close();
}

/** Sets the file's times (an inotify IN_ATTRIB, a 'change' for fs.watch), creating it the first time. */
function touch(folder: string, name: string): void {
  const path = join(folder, name);
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
    try {
      mkdirSync(folder, { recursive: true });
      writeFileSync(path, '', { flag: 'a' });
    } catch {
      // A read-only folder: the other processes find the job by polling.
    }
  }
}

/** How many store files this process watches now (tests check that close() leaves none). */
export function activeWatchCount(): number {
  return watches.size;
}
