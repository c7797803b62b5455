import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../shared/redis-client';

export interface ReplicaWaitOptions {
  /** Replicas that must hold the write; 0 turns the wait off. */
  replicas: number;
  timeoutMs: number;
  /** A key in the slot the writes go to (Cluster: WAIT must reach that slot's master). */
  slotKey: string;
}

/** Fewer replicas than asked confirmed a write in time: the write may not survive a failover. */
export class ReplicasBehindError extends Error {
  constructor(readonly acknowledged: number, readonly wanted: number, timeoutMs: number) {
    super(`${acknowledged} of ${wanted} Redis replicas confirmed the write within ${timeoutMs} ms`);
    this.name = 'ReplicasBehindError';
  }
}

/**
 * Redis replicates asynchronously: a master that fails right after answering OK can take the write
 * with it. WAIT blocks until this connection's earlier writes reach `replicas` replicas, so one WAIT
 * after an enqueue also covers every write sent before it on the same connection (concurrent
 * requests share it, like a group commit).
 */
export class ReplicaWait {
  private slot: number | undefined;

  constructor(private readonly redis: RedisClient, private readonly options: ReplicaWaitOptions) {}

  get enabled(): boolean {
    return this.options.replicas > 0;
  }

  /** Resolves once the replicas hold every earlier write of the connection; ReplicasBehindError otherwise. */
  async confirm(): Promise<void> {
    if (!this.enabled) return;
    const { replicas, timeoutMs } = this.options;
    const node = await this.writesNode();
    const acknowledged = Number(await node.call('WAIT', replicas, timeoutMs));
    if (acknowledged < replicas) throw new ReplicasBehindError(acknowledged, replicas, timeoutMs);
  }

  /**
   * Through a Cluster client, a key-less WAIT would go to a random node; it must go to the connection
   * that carried the writes: that of the master serving the prefix's slot (all keys share it).
   */
  private async writesNode(): Promise<Redis> {
    if (!this.redis.isCluster) return this.redis as Redis;
    const cluster = this.redis as Cluster;
    this.slot ??= Number(await cluster.call('CLUSTER', 'KEYSLOT', this.options.slotKey));
    const owner = cluster.slots[this.slot]?.[0];
    const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (!node) throw new Error(`no known master serves slot ${this.slot}`);
    return node;
  }
}
