import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildConfig, ConfigError, loadConfig } from '../../src/config/load-config';
import { describeRedis, prefixHashTag } from '../../src/config/redis-config';

const destinations = { main: { webhookUrl: 'https://p.bitrix24.com/rest/1/abc/' } };

function withRedis(redis: Record<string, unknown>) {
  return buildConfig({ redis, destinations, forms: {} }, {});
}

function problems(redis: Record<string, unknown>): string[] {
  try {
    withRedis(redis);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('redis configuration', () => {
  it('takes one server by URL, with TLS and credentials (rediss://user:password@host)', () => {
    const config = withRedis({ url: 'rediss://app:s3cret@redis.example.com:6380/2' });
    expect(config.redis).toMatchObject({ url: 'rediss://app:s3cret@redis.example.com:6380/2', prefix: 'leadgate', waitReplicas: 0, waitReplicasTimeoutMs: 1000 });
  });

  it('takes Sentinels with the master group name, passwords and TLS', () => {
    const config = withRedis({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26379 }],
      name: 'leadgate',
      password: 'node-pass',
      sentinelPassword: 'sentinel-pass',
      tls: { caFile: '/etc/ssl/redis-ca.pem' },
      waitReplicas: 1,
    });
    expect(config.redis).toMatchObject({ name: 'leadgate', waitReplicas: 1, tls: { caFile: '/etc/ssl/redis-ca.pem' } });
  });

  it('takes Cluster nodes as {host, port}, host:port or URLs, with a hash-tagged prefix', () => {
    const config = withRedis({ cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }, '10.0.0.2:7000', 'rediss://:pw@10.0.0.3:7000'] }, prefix: '{leadgate}' });
    expect(config.redis.cluster?.nodes).toHaveLength(3);
  });

  it('asks for exactly one of url, sentinels and cluster', () => {
    expect(problems({})).toEqual([expect.stringContaining('/redis: say where Redis is: url (one server), sentinels + name (Sentinel) or cluster.nodes')]);
    expect(problems({ url: 'redis://a:6379', sentinels: [{ host: 'b', port: 26379 }], name: 'm' })).toEqual([
      '/redis: url and sentinels are alternatives: give exactly one of url, sentinels, cluster',
    ]);
  });

  it('needs the master group name with sentinels, and refuses Sentinel settings without them', () => {
    expect(problems({ sentinels: [{ host: 'b', port: 26379 }] })).toEqual([expect.stringMatching(/^\/redis\/name: required with sentinels/)]);
    expect(problems({ url: 'redis://a:6379', name: 'm', sentinelPassword: 'x' })).toEqual([
      '/redis/name: only means something with sentinels',
      '/redis/sentinelPassword: only means something with sentinels',
    ]);
  });

  it('refuses, on Cluster, a prefix that would scatter keys over slots', () => {
    expect(problems({ cluster: { nodes: ['127.0.0.1:7000'] } })).toEqual([
      '/redis/prefix: "leadgate" has no {hash tag}; on Redis Cluster every leadgate and BullMQ key must share a slot: use a prefix like {leadgate}',
    ]);
    expect(problems({ cluster: { nodes: ['127.0.0.1:7000'] }, prefix: 'lg{}' })).toHaveLength(1);
    expect(problems({ cluster: { nodes: ['127.0.0.1:7000'] }, prefix: 'acme-{lg}' })).toEqual([]);
  });

  it('names the path of a malformed node or URL', () => {
    expect(problems({ url: 'http://redis:6379' })).toEqual(['/redis/url: must match pattern "^rediss?://"']);
    expect(problems({ sentinels: [{ host: 'b' }], name: 'm' })).toEqual(['/redis/sentinels/0: missing required property "port"']);
    expect(problems({ cluster: { nodes: ['no-port'] }, prefix: '{lg}' })).toContain('/redis/cluster/nodes/0: must match pattern "^(rediss?://)?[^\\s/]+:[0-9]+/?$"');
  });

  it('reads the hash tag as Redis Cluster does: the first {…} with something inside', () => {
    expect(prefixHashTag('{leadgate}')).toBe('leadgate');
    expect(prefixHashTag('acme:{lg}:x')).toBe('lg');
    expect(prefixHashTag('{}lg')).toBeUndefined();
    expect(prefixHashTag('lg{')).toBeUndefined();
    expect(prefixHashTag('leadgate')).toBeUndefined();
  });

  it('describes where Redis is without any password', () => {
    expect(describeRedis(withRedis({ url: 'rediss://app:s3cret@redis.example.com:6380' }).redis)).toBe('rediss://***@redis.example.com:6380');
    expect(describeRedis(withRedis({ sentinels: [{ host: 'a', port: 1 }], name: 'm', password: 'p' }).redis)).toBe('sentinel master "m" via a:1');
    expect(describeRedis(withRedis({ cluster: { nodes: ['redis://:pw@c:7000'] }, prefix: '{lg}' }).redis)).toBe('cluster redis://***@c:7000');
  });
});

describe('redis from environment variables', () => {
  const base = { BITRIX24_WEBHOOK_URL: 'https://p.bitrix24.com/rest/1/abc/' };

  it('REDIS_SENTINELS and REDIS_SENTINEL_NAME describe a Sentinel setup', () => {
    const config = loadConfig({ env: { ...base, REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380', REDIS_SENTINEL_NAME: 'lg', REDIS_PASSWORD: 'p', REDIS_SENTINEL_PASSWORD: 's', REDIS_WAIT_REPLICAS: '1' } });
    expect(config.redis).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }],
      name: 'lg',
      password: 'p',
      sentinelPassword: 's',
      waitReplicas: 1,
    });
    expect(config.redis.url).toBeUndefined();
  });

  it('REDIS_CLUSTER_NODES describes a Cluster, and LEADGATE_PREFIX must then carry a hash tag', () => {
    const config = loadConfig({ env: { ...base, REDIS_CLUSTER_NODES: '10.0.0.1:7000,rediss://:pw@10.0.0.2:7000', LEADGATE_PREFIX: '{lg}', REDIS_TLS: 'true' } });
    expect(config.redis).toMatchObject({ cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }, 'rediss://:pw@10.0.0.2:7000'] }, tls: true, prefix: '{lg}' });
    expect(() => loadConfig({ env: { ...base, REDIS_CLUSTER_NODES: '10.0.0.1:7000' } })).toThrow(/use a prefix like \{leadgate\}/);
  });

  it('REDIS_URL beside REDIS_SENTINELS is a contradiction, not a silent choice', () => {
    expect(() => loadConfig({ env: { ...base, REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' } })).toThrow(/url and sentinels are alternatives/);
  });
});

describe('README Redis examples', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => parse(m[1]!) as Record<string, unknown>)
    .filter((block) => Object.keys(block).length === 1 && 'redis' in block);

  it('shows Sentinel and Cluster, and each is a valid redis section', () => {
    expect(blocks.map((b) => Object.keys(b.redis as object)).flat()).toEqual(expect.arrayContaining(['sentinels', 'cluster']));
    for (const block of blocks) expect(() => buildConfig({ ...block, destinations, forms: {} }, { REDIS_PASSWORD: 'p', REDIS_SENTINEL_PASSWORD: 's' })).not.toThrow();
  });
});
