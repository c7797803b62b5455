import type { Cluster, Redis } from 'ioredis';

/**
 * A connection to standalone Redis, a Sentinel-managed master, or Redis Cluster. Code that only sends
 * commands takes this type; ioredis gives both the same command, MULTI, pipeline and EVAL methods.
 */
export type RedisClient = Redis | Cluster;
