import { EventEmitter } from 'node:events';
import type { WakeListener } from '../contract.js';
import { closeClient, type RedisClient } from './connection.js';

/**
 * Wake-up hints for idle workers: a pub/sub subscription on a connection of its own (ioredis
 * reconnects and resubscribes by itself), plus local timers for the next delayed job that reserve
 * reported. Hints only: the workers' polling stays the truth.
 */
export class Wakeups {
  private readonly emitter = new EventEmitter();
  private subscriber: RedisClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private closed = false;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly channel: string,
    /** Queues to wake after a reconnect, when hints may have been missed. */
    private readonly knownQueues: () => Iterable<string>,
    /** A half-open subscription reports nothing: it is pinged this often, and reopened when silent. */
    private readonly pingMs = 30_000,
  ) {
    this.emitter.setMaxListeners(0);
  }

  get listening(): boolean {
    return this.emitter.listenerCount('wake') > 0;
  }

  async subscribe(client: RedisClient, listener: WakeListener): Promise<() => void> {
    this.starting ??= this.start(client).catch((error: unknown) => {
      // Let the next worker try again rather than fail on this attempt forever.
      this.starting = undefined;
      const subscriber = this.subscriber;
      this.subscriber = undefined;
      if (subscriber) void closeClient(subscriber);
      throw error;
    });
    await this.starting;
    this.emitter.on('wake', listener);
    return () => this.emitter.off('wake', listener);
  }

  private async start(client: RedisClient): Promise<void> {
    const subscriber = client.duplicate();
    this.subscriber = subscriber;
    let connectedOnce = false;
    subscriber.on('message', ((channel: string, queue: string) => {
      if (channel === this.channel) this.emit(queue);
    }) as (...args: never[]) => void);
    subscriber.on('ready', () => {
      // After a reconnect, hints sent while we were away are gone: look now rather than at the next poll.
      if (connectedOnce) for (const queue of this.knownQueues()) this.emit(queue);
      connectedOnce = true;
    });
    // Errors are retried by ioredis; listening keeps them from becoming unhandled 'error' events.
    subscriber.on('error', () => {});
    await subscriber.subscribe(this.channel);
    connectedOnce = true;
    let inFlight = false;
    this.pingTimer = setInterval(() => {
      if (inFlight || this.closed) return;
      inFlight = true;
      // PING is allowed on a subscribed connection; commandTimeout (inherited) bounds the wait.
      subscriber
        .call('PING')
        .catch(() => {
          // Silent or broken: reconnect, and ioredis subscribes again ('ready' then wakes the queues).
          if (!this.closed) subscriber.disconnect(true);
        })
        .finally(() => {
          inFlight = false;
        });
    }, this.pingMs);
    this.pingTimer.unref();
  }

  emit(queue: string): void {
    if (!this.closed) this.emitter.emit('wake', queue);
  }

  /** Wakes `queue`'s workers in `delayMs`, when the next delayed job falls due. */
  wakeLater(queue: string, delayMs: number): void {
    if (this.closed || !this.listening) return;
    const at = performance.now() + Math.max(0, delayMs);
    const existing = this.timers.get(queue);
    if (existing && existing.at <= at + 1) return;
    if (existing) clearTimeout(existing.timer);
    // +1 ms: Redis TIME in whole ms must have reached the due time when reserve runs.
    const timer = setTimeout(
      () => {
        this.timers.delete(queue);
        this.emit(queue);
      },
      Math.min(Math.max(0, delayMs) + 1, 2 ** 31 - 1),
    );
    timer.unref();
    this.timers.set(queue, { at, timer });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.emitter.removeAllListeners();
    if (this.subscriber) await closeClient(this.subscriber);
  }
}
