import { describe, expect, it } from 'vitest';
import { clusterTarget, parseClusterUrl } from '../../../src/drivers/redis/cluster.js';
import { ConfigError, loadConfig, RedisQueueDriver } from '../../../src/index.js';

describe('redis+cluster:// URLs (no server needed)', () => {
  it('lists the seed nodes, the user and the password', () => {
    expect(parseClusterUrl('redis+cluster://10.0.0.1:7000,node-b.local:7001')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'node-b.local', port: 7001 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss+cluster://app:s%40cret@h:6380/')).toEqual({
      nodes: [{ host: 'h', port: 6380 }],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:pw@[::1]:7000').password).toBe('pw');
  });

  it('refuses a node without a port, a database number, and options in the URL', () => {
    for (const url of [
      'redis+cluster://h',
      'redis+cluster://h:7000,h2',
      'redis+cluster://h:99999',
      'redis+cluster://h:7000/3',
      'redis+cluster://h:7000?tls=1',
    ]) {
      expect(() => parseClusterUrl(url), url).toThrow(ConfigError);
    }
  });

  it('names the cluster in connection errors without the password', () => {
    const target = clusterTarget('redis+cluster://u:secret@a:1,b:2', 'REDIS_URL', 1000);
    expect(target.address).toBe('cluster a:1,b:2 as u');
    expect(JSON.stringify(target)).not.toContain('secret');
  });

  it('is accepted by the driver and by REDIS_URL', () => {
    expect(() => new RedisQueueDriver('redis+cluster://127.0.0.1:7000,127.0.0.1:7001')).not.toThrow();
    const config = loadConfig({ REDIS_URL: 'redis+cluster://127.0.0.1:7000' });
    expect(config.connection).toBe('redis');
    expect(() => loadConfig({ REDIS_URL: 'cluster://x:1' })).toThrow(/redis\+cluster/);
  });
});
