import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));

/** The `ip` binary when this machine can make network namespaces (root, iproute2), else null. */
export async function netnsSupport(): Promise<string | null> {
  if (!IP || process.getuid?.() !== 0) return null;
  const probe = `jwprobe${randomInt(1e9)}`;
  try {
    await run(IP, ['netns', 'add', probe]);
    await run(IP, ['netns', 'del', probe]);
    return IP;
  } catch {
    return null;
  }
}

/**
 * A separate "host" for worker processes: a network namespace joined to this machine by a veth
 * pair on a /30 of 10.213.0.0/16 (the namespace, link names and subnet are random per run, so
 * parallel runs never collide). Processes started with `wrap()` see the machine only as
 * `hostAddress`; `cut()` takes the link down (their sockets stay open, packets go nowhere) and
 * `restore()` brings it back. `remove()` deletes the namespace and the link.
 */
export class NetworkHost {
  private constructor(
    readonly name: string,
    private readonly link: string,
    /** This machine's address as seen from inside the namespace. */
    readonly hostAddress: string,
    readonly innerAddress: string,
  ) {}

  static async create(): Promise<NetworkHost> {
    if (!IP) throw new Error('ip (iproute2) is not installed');
    const id = randomInt(1e9).toString(36);
    const subnet = randomInt(16_384) * 4;
    const base = `10.213.${Math.floor(subnet / 256)}.`;
    const host = new NetworkHost(
      `jwns${id}`,
      `jwv${id}`,
      `${base}${(subnet % 256) + 1}`,
      `${base}${(subnet % 256) + 2}`,
    );
    try {
      await host.ip('netns', 'add', host.name);
      await host.ip('link', 'add', `${host.link}a`, 'type', 'veth', 'peer', 'name', `${host.link}b`);
      await host.ip('link', 'set', `${host.link}b`, 'netns', host.name);
      await host.ip('addr', 'add', `${host.hostAddress}/30`, 'dev', `${host.link}a`);
      await host.ip('link', 'set', `${host.link}a`, 'up');
      await host.inside('addr', 'add', `${host.innerAddress}/30`, 'dev', `${host.link}b`);
      await host.inside('link', 'set', `${host.link}b`, 'up');
      await host.inside('link', 'set', 'lo', 'up');
    } catch (error) {
      await host.remove();
      throw error;
    }
    return host;
  }

  /** execPath and execArgv for `fork`: the child runs `node` inside the namespace. */
  wrap(execArgv: string[]): { execPath: string; execArgv: string[] } {
    return { execPath: IP!, execArgv: ['netns', 'exec', this.name, process.execPath, ...execArgv] };
  }

  /** The host is cut off: its link goes down, its processes and sockets stay. */
  async cut(): Promise<void> {
    await this.ip('link', 'set', `${this.link}a`, 'down');
  }

  async restore(): Promise<void> {
    await this.ip('link', 'set', `${this.link}a`, 'up');
  }

  async remove(): Promise<void> {
    await this.ip('link', 'del', `${this.link}a`).catch(() => {});
    await this.ip('netns', 'del', this.name).catch(() => {});
  }

  private async ip(...args: string[]): Promise<void> {
    await run(IP!, args);
  }

  private async inside(...args: string[]): Promise<void> {
    await run(IP!, ['netns', 'exec', this.name, IP!, ...args]);
  }
}
