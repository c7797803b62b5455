/**
 * A private redis-server with AOF fsynced on every write, so a SIGKILL loses nothing Redis answered
 * OK for: the chaos suite may kill it and start it again on the same port and directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import IORedis from 'ioredis';
import { exited } from '../../helpers/spawn-leadgate';
import { sleep } from '../../helpers/wait-for';

export class RedisProcess {
  private child: ChildProcess | undefined;
  kills = 0;

  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir, '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    this.child = child;
    await this.waitUntilReady();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
    this.child = undefined;
    this.kills++;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    await exited(child);
    this.child = undefined;
  }

  /** AOF replay on a restart takes a moment; PING answers LOADING until it is done. */
  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const redis = new IORedis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await redis.connect();
        if ((await redis.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
      } finally {
        redis.disconnect();
      }
      await sleep(50);
    }
  }
}
