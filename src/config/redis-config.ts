/**
 * The `redis` part of the configuration beyond what the schema can say: which topology (one server,
 * Sentinel, Cluster), the Cluster hash-tag rule, and the REDIS_* environment variables.
 */
import type { RedisConfig, RedisNode } from './config';

/**
 * The hash tag Redis Cluster hashes instead of the whole key: the text between the first `{` and the
 * next `}`, when not empty. Every key is `<prefix>:…`, so a tag wholly inside the prefix puts every key
 * of leadgate and BullMQ in one slot (MULTI and Lua scripts span several keys).
 */
export function prefixHashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export function redisTopology(redis: RedisConfig): RedisTopology {
  if (redis.sentinels) return 'sentinel';
  if (redis.cluster) return 'cluster';
  return 'standalone';
}

export function redisConfigProblems(redis: RedisConfig): string[] {
  const given = (['url', 'sentinels', 'cluster'] as const).filter((key) => redis[key] !== undefined);
  if (given.length !== 1) {
    return [
      given.length === 0
        ? '/redis: say where Redis is: url (one server), sentinels + name (Sentinel) or cluster.nodes (Redis Cluster)'
        : `/redis: ${given.join(' and ')} are alternatives: give exactly one of url, sentinels, cluster`,
    ];
  }
  const problems: string[] = [];
  if (redis.sentinels && !redis.name) problems.push('/redis/name: required with sentinels: the master group they monitor (sentinel monitor <name> …)');
  if (redis.name && !redis.sentinels) problems.push('/redis/name: only means something with sentinels');
  if (redis.sentinelPassword && !redis.sentinels) problems.push('/redis/sentinelPassword: only means something with sentinels');
  if (redis.cluster && !prefixHashTag(redis.prefix)) {
    problems.push(
      `/redis/prefix: "${redis.prefix}" has no {hash tag}; on Redis Cluster every leadgate and BullMQ key must share a slot: use a prefix like {${redis.prefix.replace(/[{}]/g, '') || 'leadgate'}}`,
    );
  }
  return problems;
}

/** `host:port` → {host, port}; anything else is left for the schema to refuse with its path. */
function node(item: string): RedisNode | string {
  const match = /^(.+):(\d{1,5})$/.exec(item);
  return match ? { host: match[1] as string, port: Number(match[2]) } : item;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/**
 * `redis` from REDIS_URL, or REDIS_SENTINELS ("host:port,host:port") + REDIS_SENTINEL_NAME, or
 * REDIS_CLUSTER_NODES ("host:port,…" or URLs); REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD, REDIS_TLS=1,
 * REDIS_WAIT_REPLICAS. Without any of the three, the local default server.
 */
export function redisFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const redis: Record<string, unknown> = { prefix: env.LEADGATE_PREFIX || 'leadgate' };
  if (env.REDIS_SENTINELS) redis.sentinels = list(env.REDIS_SENTINELS).map(node);
  if (env.REDIS_SENTINEL_NAME) redis.name = env.REDIS_SENTINEL_NAME;
  if (env.REDIS_CLUSTER_NODES) redis.cluster = { nodes: list(env.REDIS_CLUSTER_NODES).map((item) => (/^rediss?:\/\//.test(item) ? item : node(item))) };
  if (env.REDIS_URL || (!redis.sentinels && !redis.cluster)) redis.url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (env.REDIS_USERNAME) redis.username = env.REDIS_USERNAME;
  if (env.REDIS_PASSWORD) redis.password = env.REDIS_PASSWORD;
  if (env.REDIS_SENTINEL_PASSWORD) redis.sentinelPassword = env.REDIS_SENTINEL_PASSWORD;
  if (env.REDIS_TLS) redis.tls = /^(1|true|yes)$/i.test(env.REDIS_TLS);
  if (env.REDIS_WAIT_REPLICAS) redis.waitReplicas = env.REDIS_WAIT_REPLICAS;
  return redis;
}

/** Where Redis is, for logs and `leadgate check`: never a password. */
export function describeRedis(redis: RedisConfig): string {
  const hidePassword = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');
  const nodes = (items: Array<RedisNode | string>): string => items.map((n) => (typeof n === 'string' ? hidePassword(n) : `${n.host}:${n.port}`)).join(',');
  if (redis.sentinels) return `sentinel master "${redis.name}" via ${nodes(redis.sentinels)}`;
  if (redis.cluster) return `cluster ${nodes(redis.cluster.nodes)}`;
  return hidePassword(redis.url ?? '');
}
