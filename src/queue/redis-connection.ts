import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import IORedis, { type ClusterNode, type RedisOptions } from 'ioredis';
import type { RedisConfig, RedisNode } from '../config/config';
import { logErrors } from '../shared/log-errors';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';

export type { RedisClient } from '../shared/redis-client';

const reconnectDelay = (times: number): number => Math.min(200 * times, 2000);

/**
 * Producers (the API) fail fast so a request can answer 503 instead of hanging while Redis is away;
 * workers wait for Redis as long as it takes (BullMQ requires maxRetriesPerRequest: null).
 */
function roleOptions(role: 'producer' | 'worker'): RedisOptions {
  return role === 'producer'
    ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 3000 }
    : { maxRetriesPerRequest: null, enableReadyCheck: true };
}

function tlsOptions(tls: RedisConfig['tls']): ConnectionOptions | undefined {
  if (!tls) return undefined;
  if (tls === true) return {};
  return { ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}), ...(tls.servername ? { servername: tls.servername } : {}) };
}

/** A cluster node as config gives it; a URL may carry the nodes' credentials and asks for TLS. */
function clusterNode(node: RedisNode | string): { node: ClusterNode; tls: boolean; username?: string; password?: string } {
  if (typeof node !== 'string') return { node, tls: false };
  const url = new URL(/^rediss?:\/\//.test(node) ? node : `redis://${node}`);
  return {
    node: { host: url.hostname, port: Number(url.port || 6379) },
    tls: url.protocol === 'rediss:',
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** What a connection needs of `redis` config: where and how, not the prefix. */
export type RedisConnectionConfig = Omit<RedisConfig, 'prefix' | 'waitReplicas' | 'waitReplicasTimeoutMs' | 'hangTimeoutMs'>;

function connect(config: RedisConnectionConfig, role: 'producer' | 'worker', extra: RedisOptions): RedisClient {
  const tls = tlsOptions(config.tls);
  const auth: RedisOptions = {
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
  };
  // A master demoted by a failover answers writes with READONLY until its clients reconnect.
  const common: RedisOptions = { retryStrategy: reconnectDelay, reconnectOnError: (err) => err.message.startsWith('READONLY'), ...auth };
  if (config.sentinels) {
    return new IORedis({
      sentinels: config.sentinels,
      name: config.name,
      ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
      ...(tls ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      // Follow +switch-master at once instead of waiting for the old master's connection to drop.
      failoverDetector: true,
      ...roleOptions(role),
      ...common,
      ...extra,
    });
  }
  if (config.cluster) {
    const nodes = config.cluster.nodes.map(clusterNode);
    const fromUrl = nodes.find((n) => n.password);
    const { retryStrategy, enableOfflineQueue, ...nodeOptions } = { ...roleOptions(role), ...common, ...extra };
    const anyTls = tls ?? (nodes.some((n) => n.tls) ? {} : undefined);
    return new IORedis.Cluster(
      nodes.map((n) => n.node),
      {
        // Queued while the cluster (re)discovers its slots: workers wait, producers fail fast.
        enableOfflineQueue: enableOfflineQueue ?? true,
        clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) ?? null : reconnectDelay(times)),
        redisOptions: {
          ...(fromUrl ? { username: fromUrl.username, password: fromUrl.password } : {}),
          ...nodeOptions,
          ...(anyTls ? { tls: anyTls } : {}),
        },
      },
    );
  }
  return new IORedis(config.url ?? 'redis://127.0.0.1:6379', { ...roleOptions(role), ...common, ...(tls ? { tls } : {}), lazyConnect: false, ...extra });
}

/**
 * Every Redis connection of leadgate: one server (`url`), the master a set of Sentinels points at, or a
 * Redis Cluster, as `config` says. `extra` are ioredis options for this connection (its name, a
 * one-shot retry strategy); on Cluster they apply to each node's connection.
 */
export function createRedis(config: RedisConnectionConfig, role: 'producer' | 'worker', extra: RedisOptions = {}, logger?: Logger): RedisClient {
  const redis = connect(config, role, extra);
  // ioredis emits 'error' on every failed reconnect; unhandled it would crash the process. One-shot
  // CLI commands pass no logger: their command fails with the error instead.
  if (logger) logErrors(redis, logger, { redis: extra.connectionName ?? role });
  else redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}
