import IORedis from 'ioredis';
import { createRedis } from '../../src/queue/redis-connection';
import { watchForHang } from '../../src/queue/hang-watchdog';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis';
import { silentLogger } from '../../src/shared/logger';
import { waitFor } from '../helpers/wait-for';

/** The API's connection watchdog against a real redis-server of its own (SIGSTOPped for the hang). */
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  redis.thaw();
  await redis.destroy();
});

async function producerConnection(): Promise<IORedis> {
  const connection = createRedis({ url: redis.url }, 'producer') as IORedis;
  await waitFor(() => connection.status === 'ready', 'connected');
  return connection;
}

describe('the hang watchdog', () => {
  it('drops a connection whose PING goes unanswered; commands then fail at once, and all resumes when Redis answers', async () => {
    const connection = await producerConnection();
    const watchdog = watchForHang(connection, { timeoutMs: 200, intervalMs: 100, logger: silentLogger, name: 'state' });
    try {
      redis.freeze();
      await waitFor(() => connection.status !== 'ready', 'the connection dropped', 5000, 20);
      const started = Date.now();
      await expect(connection.set('k', 'v')).rejects.toThrow(/enableOfflineQueue|Connection is closed/);
      // Not a command timeout (3 s): refused on the spot.
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      redis.thaw();
    }
    await waitFor(() => connection.status === 'ready', 'ready again once Redis answers', 10_000, 20);
    expect(await connection.set('k', 'v')).toBe('OK');
    watchdog.stop();
    connection.disconnect();
  }, 30_000);

  it('does not take a busy event loop for a hung Redis: a reply waiting on the socket counts', async () => {
    const connection = await producerConnection();
    let dropped = false;
    connection.on('close', () => (dropped = true));
    const watchdog = watchForHang(connection, { timeoutMs: 100, intervalMs: 50, logger: silentLogger, name: 'state' });
    // Created in the same millisecond, this timer runs right after the watchdog's in the same turn: the
    // PING is written, then the loop is blocked past the PING's timeout while the reply arrives.
    const blocker = setInterval(() => {
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // busy
      }
    }, 50);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      clearInterval(blocker);
      await new Promise((r) => setTimeout(r, 300));
      expect(dropped).toBe(false);
      expect(connection.status).toBe('ready');
    } finally {
      watchdog.stop();
      connection.disconnect();
    }
  });

  it('is off with timeoutMs 0', async () => {
    const connection = await producerConnection();
    const watchdog = watchForHang(connection, { timeoutMs: 0, intervalMs: 20, logger: silentLogger, name: 'state' });
    const sent: string[] = [];
    const monitor = new IORedis(redis.url);
    const commands = await monitor.monitor();
    commands.on('monitor', (_time: string, args: string[]) => sent.push(String(args[0]).toLowerCase()));
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).not.toContain('ping');
    watchdog.stop();
    commands.disconnect();
    monitor.disconnect();
    connection.disconnect();
  });
});
