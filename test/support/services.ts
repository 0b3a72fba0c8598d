import net from 'node:net';

/**
 * Local services the driver tests need. When one does not answer, its tests are skipped with a
 * message saying so, unless CI or REQUIRE_SERVICES=1 is set: then it is a failure.
 */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const servicesRequired = Boolean(process.env.CI) || process.env.REQUIRE_SERVICES === '1';

function portOf(url: string, fallback: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port) || fallback };
}

function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws if services are required,
 * else logs why the tests are skipped and resolves false.
 */
export async function serviceAvailable(service: 'postgres' | 'redis'): Promise<boolean> {
  const { host, port } = service === 'postgres' ? portOf(DATABASE_URL, 5432) : portOf(REDIS_URL, 6379);
  if (await reachable(host, port)) return true;
  const message = `${service} at ${host}:${port} is not reachable`;
  if (servicesRequired) throw new Error(`${message}, and CI or REQUIRE_SERVICES=1 requires it`);
  console.warn(
    `SKIPPED: ${service} tests, because ${message} (set ${service === 'postgres' ? 'DATABASE_URL' : 'REDIS_URL'} to run them)`,
  );
  return false;
}
