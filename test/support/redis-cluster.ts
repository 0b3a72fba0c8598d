import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterNode {
  port: number;
  busPort: number;
  process: ChildProcess;
  readonly alive: boolean;
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (0 or 1 on this machine). */
  replicas?: number;
  /** cluster-node-timeout: how long a silent master has before its replica takes over (ms). */
  nodeTimeoutMs?: number;
  /** appendfsync for every node ('no' = the default of most deployments; 'always' loses least). */
  appendfsync?: 'always' | 'everysec' | 'no';
}

/** redis-cli against one node, returning its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

/** The cluster's checks start redis-cli processes: poll them every 100 ms, not the default 25. */
function until(what: string, check: () => Promise<boolean>, ms: number): Promise<unknown> {
  return waitFor(`Redis Cluster: ${what}`, check, ms, 100);
}

/**
 * A private Redis Cluster for a test or a chaos run: `masters` masters with `replicas` replicas
 * each, every node a `redis-server --cluster-enabled yes` child process on free high ports of
 * 127.0.0.1 with its files in a temp dir. Never the shared server on 6379. `stop()` kills every
 * node and removes the dir; nodes are also killed if this process exits first.
 */
export class PrivateRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'jobwright-cluster-'));
  readonly nodes: ClusterNode[] = [];
  /** Nodes stopped by `freeze` (SIGSTOP): alive, but they answer nothing, so they are not asked. */
  private readonly frozen = new Set<ClusterNode>();
  private readonly killAll = () => {
    for (const node of this.nodes) node.process.kill('SIGKILL');
  };

  private constructor(private readonly options: Required<RedisClusterOptions>) {}

  static async start(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
    const cluster = new PrivateRedisCluster({
      masters: options.masters ?? 3,
      replicas: options.replicas ?? 1,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 1500,
      appendfsync: options.appendfsync ?? 'everysec',
    });
    process.once('exit', cluster.killAll);
    try {
      await cluster.create();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The driver's URL: every node as a seed. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  private async create(): Promise<void> {
    const count = this.options.masters * (1 + this.options.replicas);
    for (let i = 0; i < count; i++) this.nodes.push(await this.startNode(await freePort(), await freePort()));
    await Promise.all(
      this.nodes.map((n) => until(`node ${n.port} answers`, () => this.pings(n.port), 15_000)),
    );
    await run('redis-cli', [
      '--cluster',
      'create',
      ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(this.options.replicas),
      '--cluster-yes',
    ]);
    await this.waitHealthy();
  }

  private async startNode(port: number, busPort: number): Promise<ClusterNode> {
    // prettier-ignore
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(this.options.nodeTimeoutMs),
        '--dir',
        this.dir,
        '--dbfilename',
        `dump-${port}.rdb`,
        '--appendfilename',
        `append-${port}.aof`,
        '--appendonly',
        'yes',
        '--appendfsync',
        this.options.appendfsync,
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        join(this.dir, `${port}.log`),
      ],
      { stdio: 'ignore' },
    );
    let alive = true;
    child.once('exit', () => {
      alive = false;
    });
    return {
      port,
      busPort,
      process: child,
      get alive() {
        return alive;
      },
    };
  }

  private async pings(port: number): Promise<boolean> {
    return (await redisCli(port, 'PING')).trim() === 'PONG';
  }

  /** Every live node says cluster_state:ok and every master slot range has a live master. */
  async waitHealthy(ms = 60_000, { replicasInSync = true } = {}): Promise<void> {
    await until(
      'cluster_state:ok on every live node',
      async () => {
        for (const node of this.nodes.filter((n) => this.answers(n))) {
          if (!(await redisCli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        }
        return true;
      },
      ms,
    );
    if (this.options.replicas === 0 || !replicasInSync) return;
    // A failover needs a replica that is in sync with its master.
    await until(
      'every master has its replicas in sync',
      async () => {
        const masters = await this.masters();
        if (masters.length < this.options.masters) return false;
        for (const master of masters) {
          const info = await redisCli(master.port, 'INFO', 'replication');
          const online = info.split('\n').filter((l) => /^slave\d+:.*state=online/.test(l)).length;
          if (online < this.options.replicas) return false;
        }
        return true;
      },
      ms,
    );
  }

  /** `CLUSTER NODES` as a live node sees it: live masters with the slot ranges they serve. */
  private async masterTable(): Promise<Array<{ node: ClusterNode; ranges: Array<[number, number]> }>> {
    const anyAlive = this.nodes.find((n) => this.answers(n));
    if (!anyAlive) return [];
    const text = await redisCli(anyAlive.port, 'CLUSTER', 'NODES');
    const table: Array<{ node: ClusterNode; ranges: Array<[number, number]> }> = [];
    for (const line of text.split('\n')) {
      const fields = line.trim().split(' ');
      const flags = fields[2] ?? '';
      if (!flags.split(',').includes('master') || flags.includes('fail')) continue;
      const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      const node = this.nodes.find((n) => n.port === port && n.alive);
      if (!node) continue;
      const ranges = fields.slice(8).map((r) => {
        const [a, b] = r.split('-').map(Number);
        return [a!, b ?? a!] as [number, number];
      });
      table.push({ node, ranges });
    }
    return table;
  }

  /** The live masters that serve slots. */
  async masters(): Promise<ClusterNode[]> {
    return (await this.masterTable()).filter((m) => m.ranges.length > 0).map((m) => m.node);
  }

  /** The master that serves `key`'s slot. */
  async masterOf(key: string): Promise<ClusterNode> {
    const anyAlive = this.nodes.find((n) => this.answers(n))!;
    const slot = Number((await redisCli(anyAlive.port, 'CLUSTER', 'KEYSLOT', key)).trim());
    const owner = (await this.masterTable()).find((m) => m.ranges.some(([a, b]) => slot >= a && slot <= b));
    if (!owner) throw new Error(`Redis Cluster: no live master serves slot ${slot} of ${key}`);
    return owner.node;
  }

  private answers(node: ClusterNode): boolean {
    return node.alive && !this.frozen.has(node);
  }

  /**
   * SIGSTOP of one node: a stalled process (what a node starved on an overloaded machine looks
   * like to its peers). Past cluster-node-timeout its replica is promoted; `thaw` resumes it.
   */
  freeze(node: ClusterNode): void {
    this.frozen.add(node);
    node.process.kill('SIGSTOP');
  }

  thaw(node: ClusterNode): void {
    node.process.kill('SIGCONT');
    this.frozen.delete(node);
  }

  /** kill -9 of one node: its replica is promoted after cluster-node-timeout. */
  async crash(node: ClusterNode): Promise<void> {
    if (!node.alive) return;
    const exited = new Promise((r) => node.process.once('exit', r));
    node.process.kill('SIGKILL');
    await exited;
  }

  /** Starts a crashed node again on its port and files: it rejoins (as a replica, after a failover). */
  async restart(node: ClusterNode): Promise<ClusterNode> {
    if (node.alive) return node;
    const again = await this.startNode(node.port, node.busPort);
    this.nodes[this.nodes.indexOf(node)] = again;
    await until(`node ${node.port} answers again`, () => this.pings(node.port), 15_000);
    return again;
  }

  async stop(): Promise<void> {
    process.off('exit', this.killAll);
    await Promise.all(
      this.nodes
        .filter((n) => n.alive)
        .map((n) => {
          const exited = new Promise((r) => n.process.once('exit', r));
          n.process.kill('SIGKILL');
          return exited;
        }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
