import net from 'node:net';

/**
 * A TCP proxy for fault tests, between worker processes and PostgreSQL or Redis. `freeze()` makes
 * every open connection half-open: the proxy keeps both sockets open and simply stops passing
 * bytes, as a dead NAT entry or a partitioned network does, so neither side sees a close or a
 * reset. Connections opened after the freeze pass normally, so a client that notices and
 * reconnects recovers. Only the test's own connections go through it.
 *
 *   const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
 *   // workers use 127.0.0.1:proxy.port ... then:
 *   proxy.freeze();          // every open connection goes silent
 *   proxy.opened             // connections accepted so far (reconnects show here)
 */
interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private readonly server = net.createServer((client) => this.accept(client));
  /** Connections accepted since the start. */
  opened = 0;
  /** Connections that were open when freeze() was called. */
  frozen = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  /** `listenHost`: the address to accept on (a veth address, for a network namespace). */
  static async start(target: { host: string; port: number }, listenHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, listenHost, resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** While set, new connections are accepted and frozen at once: the far side is unreachable. */
  private refusing = false;

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target);
    const pair: Pair = { client, upstream, frozen: this.refusing };
    this.pairs.add(pair);
    this.opened++;
    const pass = (to: net.Socket) => (data: Buffer) => {
      if (!pair.frozen) to.write(data);
    };
    client.on('data', pass(upstream));
    upstream.on('data', pass(client));
    // A frozen connection passes no close either: each side only learns by its own timeouts.
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => {
        // A frozen pair stays listed (its other side open) until close() destroys it.
        if (pair.frozen) return;
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      });
    }
  }

  /** Every open connection stops passing bytes, without being closed. */
  freeze(): void {
    for (const pair of this.pairs) {
      if (!pair.frozen) this.frozen++;
      pair.frozen = true;
    }
  }

  /**
   * The stand-in for cutting a host off when network namespaces are missing: open connections
   * freeze and new ones hang until `restore()`.
   */
  cut(): void {
    this.refusing = true;
    this.freeze();
  }

  restore(): void {
    this.refusing = false;
  }

  /** Connections open now that still pass bytes. */
  get live(): number {
    return [...this.pairs].filter((p) => !p.frozen).length;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
