/**
 * Redis topologies of our own on free loopback ports, each node a child `redis-server` in its own
 * directory: a master, a replica and three Sentinels; or a three-master Redis Cluster. `destroy()`
 * SIGKILLs every process they started (also on process exit) and removes the directories.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { exited } from '../../helpers/spawn-leadgate';
import { sleep, waitFor } from '../../helpers/wait-for';
import { freePort } from './free-port';

const run = promisify(execFile);
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One redis-server (or sentinel) process, restartable on the same port and directory. */
class NodeProcess {
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    await waitFor(() => ping(this.port), `redis-server on port ${this.port}`, 15_000, 50);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  }
}

async function ping(port: number): Promise<boolean> {
  const redis = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A short-lived connection to one node for one admin command. */
export async function onNode<T>(port: number, use: (redis: IORedis) => Promise<T>): Promise<T> {
  const redis = new IORedis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

function serverArgs(port: number, dir: string, extra: string[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  // AOF fsynced on every write: what a node answered OK for survives its own SIGKILL.
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction', ...extra];
}

export const SENTINEL_MASTER = 'leadgate-master';

export class SentinelTopology {
  private constructor(
    private readonly dir: string,
    private readonly servers: Map<number, NodeProcess>,
    private readonly sentinelNodes: NodeProcess[],
  ) {}

  /** A master, one replica and three Sentinels (quorum 2, master down after 1 s). */
  static async start(): Promise<SentinelTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'leadgate-sentinel-'));
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    const master = new NodeProcess(masterPort, serverArgs(masterPort, join(dir, String(masterPort))));
    const replica = new NodeProcess(replicaPort, serverArgs(replicaPort, join(dir, String(replicaPort)), ['--replicaof', '127.0.0.1', String(masterPort)]));
    const sentinels: NodeProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its file: it must be writable, one per sentinel.
      writeFileSync(
        conf,
        [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`, `sentinel failover-timeout ${SENTINEL_MASTER} 10000`, ''].join('\n'),
      );
      sentinels.push(new NodeProcess(port, [conf, '--sentinel']));
    }
    const topology = new SentinelTopology(dir, new Map([[masterPort, master], [replicaPort, replica]]), sentinels);
    try {
      await master.start();
      await replica.start();
      await Promise.all(sentinels.map((s) => s.start()));
      await topology.settled(masterPort);
    } catch (err) {
      await topology.destroy();
      throw err;
    }
    return topology;
  }

  get sentinels(): Array<{ host: string; port: number }> {
    return this.sentinelNodes.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** The master the Sentinels currently name. */
  async masterPort(): Promise<number> {
    const [, port] = await onNode(this.sentinelNodes[0]!.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER) as Promise<[string, string]>);
    return Number(port);
  }

  async masterUrl(): Promise<string> {
    return `redis://127.0.0.1:${await this.masterPort()}`;
  }

  /** `SENTINEL FAILOVER`: the replica is promoted, the old master demoted; resolves once that is done. */
  async failover(): Promise<number> {
    const before = await this.masterPort();
    await onNode(this.sentinelNodes[0]!.port, (r) => r.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER));
    const after = await waitFor(async () => ((await this.masterPort()) !== before ? this.masterPort() : undefined), 'the Sentinels to promote the replica', 30_000, 100);
    await this.settled(after);
    return after;
  }

  /** SIGKILLs the master; resolves with the old port once the Sentinels have promoted the replica. */
  async killMaster(): Promise<{ killed: number; promoted: number }> {
    const killed = await this.masterPort();
    await this.servers.get(killed)!.kill();
    const promoted = await waitFor(async () => ((await this.masterPort()) !== killed ? this.masterPort() : undefined), 'the Sentinels to promote the replica after SIGKILL', 30_000, 100);
    return { killed, promoted };
  }

  /** Starts a killed server again; the Sentinels turn it into a replica of the current master. */
  async restart(port: number): Promise<void> {
    await this.servers.get(port)!.start();
    await this.settled(await this.masterPort());
  }

  /** The master answers as master and has a replica in sync with it. */
  private async settled(masterPort: number): Promise<void> {
    await waitFor(
      () =>
        onNode(masterPort, async (r) => {
          const info = await r.info('replication');
          return info.includes('role:master') && /slave0:.*state=online/.test(info);
        }).catch(() => false),
      `master ${masterPort} with an online replica`,
      30_000,
      100,
    );
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.sentinelNodes, ...this.servers.values()].map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class ClusterTopology {
  private constructor(
    private readonly dir: string,
    private readonly nodes: NodeProcess[],
  ) {}

  /** Three masters sharing the 16384 slots (`redis-cli --cluster create`, no replicas). */
  static async start(): Promise<ClusterTopology> {
    const dir = mkdtempSync(join(tmpdir(), 'leadgate-cluster-'));
    const nodes: NodeProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const nodeDir = join(dir, String(port));
      nodes.push(new NodeProcess(port, serverArgs(port, nodeDir, ['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '2000'])));
    }
    const topology = new ClusterTopology(dir, nodes);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
      await waitFor(
        async () => (await Promise.all(nodes.map((n) => onNode(n.port, (r) => r.cluster('INFO') as Promise<string>)))).every((info) => info.includes('cluster_state:ok')),
        'cluster_state:ok on every node',
        30_000,
        100,
      );
    } catch (err) {
      await topology.destroy();
      throw err;
    }
    return topology;
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** The node serving the slot of `key` (with a hash tag: of every key sharing it). */
  async nodeUrlFor(key: string): Promise<string> {
    const slot = await onNode(this.ports[0]!, (r) => r.cluster('KEYSLOT', key));
    for (;;) {
      const slots = await onNode(this.ports[0]!, (r) => r.cluster('SLOTS'));
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)?.[2];
      if (owner) return `redis://${owner[0]}:${owner[1]}`;
      await sleep(100);
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
