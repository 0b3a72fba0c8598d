import type { PgListenClient } from './connection.js';

export interface ListenerOptions {
  connect: () => Promise<PgListenClient>;
  /** Quoted channel name for LISTEN. */
  channel: string;
  onNotify: (queue: string) => void;
  onError: (error: Error) => void;
  /**
   * A half-open connection delivers no NOTIFY and reports no error: every `pingMs` the listener
   * asks `SELECT 1`, and reconnects when no answer came within `pingMs`.
   */
  pingMs: number;
}

/**
 * Holds one dedicated connection that LISTENs for wake-ups and reconnects by itself, with
 * backoff, when the server restarts or the connection is killed. Wake-ups are hints: while the
 * listener is down, workers still find their jobs by polling.
 */
export class NotifyListener {
  private client: PgListenClient | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ListenerOptions) {}

  /** Connects; resolves when listening (or when the first attempt failed and a retry is scheduled). */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    return this.connecting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: PgListenClient | undefined;
    try {
      client = await this.options.connect();
      const dropped = (error?: Error) => this.lost(client!, error);
      client.on('error', dropped);
      client.on('end', dropped);
      client.on('notification', (msg) => {
        if (msg.payload) this.options.onNotify(msg.payload);
      });
      await client.query(`LISTEN ${this.options.channel}`);
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.attempt = 0;
      this.watch(client);
    } catch (error) {
      if (client) {
        client.removeAllListeners();
        client.on('error', () => {});
        void client.end().catch(() => {});
      }
      this.options.onError(error as Error);
      this.scheduleReconnect();
    }
  }

  /** Pings the connection; one that does not answer in time is dropped and replaced. */
  private watch(client: PgListenClient): void {
    clearInterval(this.pingTimer);
    let inFlight = false;
    this.pingTimer = setInterval(() => {
      if (inFlight || this.client !== client) return;
      inFlight = true;
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`LISTEN connection: no answer to a ping within ${this.options.pingMs} ms`)),
          this.options.pingMs,
        );
      });
      Promise.race([client.query('SELECT 1'), silent])
        .catch((error: Error) => this.lost(client, error))
        .finally(() => {
          clearTimeout(timer);
          inFlight = false;
        });
    }, this.options.pingMs);
    this.pingTimer.unref();
  }

  private lost(client: PgListenClient, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.pingTimer);
    client.removeAllListeners();
    client.on('error', () => {});
    void client.end().catch(() => {});
    if (error) this.options.onError(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    // 100 ms, 200 ms, ... up to 5 s between attempts, with jitter so a fleet does not stampede.
    const delay = Math.min(5000, 100 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt = Math.min(this.attempt + 1, 10);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.connecting = this.connect();
    }, delay);
    this.timer.unref();
  }
}
