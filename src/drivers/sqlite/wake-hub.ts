import { EventEmitter } from 'node:events';

/**
 * In-process wake-ups, shared by every driver on the same file in this process, so a worker
 * on one connection hears about jobs enqueued through another. Other processes poll.
 */
const wakeHubs = new Map<string, { hub: EventEmitter; drivers: number }>();

export function openHub(key: string | null): EventEmitter {
  if (key === null) return new EventEmitter().setMaxListeners(0);
  let entry = wakeHubs.get(key);
  if (!entry) {
    entry = { hub: new EventEmitter().setMaxListeners(0), drivers: 0 };
    wakeHubs.set(key, entry);
  }
  entry.drivers++;
  return entry.hub;
}

/** Forgets a file's hub when its last driver closes, so a process that opens many files does not leak. */
export function closeHub(key: string | null): void {
  const entry = key === null ? undefined : wakeHubs.get(key);
  if (entry && --entry.drivers === 0) wakeHubs.delete(key!);
}
