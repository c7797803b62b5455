import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../shared/redis-client';
import type { AuditLog } from './audit-log';
import type { DeadLetterQueue } from './dead-letter-queue';

export type BulkAction = 'replay' | 'purge';

/** A bulk replay or purge as the console shows it; counts add up to `total` once it is done. */
export interface BulkJob {
  id: string;
  action: BulkAction;
  actor: string;
  /** What was asked for, for people: `filter destination=main code=(no code)` or `12 selected`. */
  description: string;
  status: 'running' | 'done';
  total: number;
  /** Replayed or purged by this job. */
  done: number;
  /** No longer a dead letter when its turn came (replayed or purged meanwhile, by anyone). */
  skipped: number;
  failed: number;
  createdAt: string;
  updatedAt: string;
  lastError?: string;
}

const CHUNK = 25;
const LEASE_MS = 30_000;
const KEEP_SECONDS = 7 * 86_400;
const RECENT = 50;

/** Renews the lease only for its holder: a runner that lost it (it stalled past the lease) stops. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * Bulk replay and purge of dead letters, recorded in Redis so they survive the API process: the job
 * (`<prefix>:console:bulk:<id>`, a hash of counts) and the ids still to do (`…:<id>:ids`, a list),
 * worked through in chunks of 25 by whichever process holds the job's lease (`…:<id>:lease`). A
 * chunk's ids leave the list only after they were handled, with the counts, in one MULTI; a process
 * that dies mid-chunk leaves them there, and the next runner handles them again: a replay of a lead
 * that is already queued again does not queue it twice (DeadLetterQueue.replay), a purged or replayed
 * one counts as skipped. Jobs are kept 7 days, the 50 newest listed.
 */
export class DeadLetterBulkJobs {
  private readonly running = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly deadLetters: Pick<DeadLetterQueue, 'replay' | 'purgeOne'>,
    private readonly audit: Pick<AuditLog, 'record'>,
    private readonly options: { chunk?: number; leaseMs?: number } = {},
  ) {}

  private key(id: string): string {
    return `${this.prefix}:console:bulk:${id}`;
  }

  private idsKey(id: string): string {
    return `${this.prefix}:console:bulk:${id}:ids`;
  }

  private leaseKey(id: string): string {
    return `${this.prefix}:console:bulk:${id}:lease`;
  }

  private indexKey(): string {
    return `${this.prefix}:console:bulk`;
  }

  async create(action: BulkAction, ids: string[], meta: { actor: string; description: string }): Promise<BulkJob> {
    const id = `bulk_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    const now = new Date().toISOString();
    const job: BulkJob = { id, action, actor: meta.actor, description: meta.description, status: ids.length > 0 ? 'running' : 'done', total: ids.length, done: 0, skipped: 0, failed: 0, createdAt: now, updatedAt: now };
    const multi = this.redis.multi();
    for (let i = 0; i < ids.length; i += 1000) multi.rpush(this.idsKey(id), ...ids.slice(i, i + 1000));
    multi
      .hset(this.key(id), Object.fromEntries(Object.entries(job).map(([k, v]) => [k, String(v)])))
      .expire(this.key(id), KEEP_SECONDS)
      .expire(this.idsKey(id), KEEP_SECONDS)
      .zadd(this.indexKey(), Date.now(), id)
      .zremrangebyrank(this.indexKey(), 0, -RECENT - 1)
      .expire(this.indexKey(), KEEP_SECONDS);
    await multi.exec();
    return job;
  }

  async get(id: string): Promise<BulkJob | undefined> {
    const hash = await this.redis.hgetall(this.key(id));
    if (!hash.id) return undefined;
    return {
      id: hash.id,
      action: hash.action as BulkAction,
      actor: hash.actor ?? '',
      description: hash.description ?? '',
      status: hash.status as BulkJob['status'],
      total: Number(hash.total),
      done: Number(hash.done),
      skipped: Number(hash.skipped),
      failed: Number(hash.failed),
      createdAt: hash.createdAt ?? '',
      updatedAt: hash.updatedAt ?? '',
      ...(hash.lastError ? { lastError: hash.lastError } : {}),
    };
  }

  async recent(): Promise<BulkJob[]> {
    const ids = await this.redis.zrevrange(this.indexKey(), 0, RECENT - 1);
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((j): j is BulkJob => j !== undefined);
  }

  /**
   * Starts working the job in this process unless a live process holds it; resolves when this
   * process stops working it (done, lease lost, or Redis gone: then the lease lapses and the next
   * poll of its progress, here or in another process, takes it up again).
   */
  async run(id: string): Promise<void> {
    if (this.running.has(id)) return;
    const token = randomBytes(8).toString('hex');
    const leaseMs = this.options.leaseMs ?? LEASE_MS;
    if ((await this.redis.set(this.leaseKey(id), token, 'PX', leaseMs, 'NX')) !== 'OK') return;
    this.running.add(id);
    try {
      await this.work(id, token, leaseMs);
    } catch (err) {
      // Shown on the progress page; the lease lapses and the next poll takes the job up again.
      await this.redis.hset(this.key(id), { lastError: `runner stopped: ${(err as Error).message}` }).catch(() => undefined);
      throw err;
    } finally {
      this.running.delete(id);
    }
  }

  private async work(id: string, token: string, leaseMs: number): Promise<void> {
    const job = await this.get(id);
    if (!job || job.status !== 'running') return;
    const chunk = this.options.chunk ?? CHUNK;
    for (;;) {
      const ids = await this.redis.lrange(this.idsKey(id), 0, chunk - 1);
      if (ids.length === 0) break;
      const tally = { done: 0, skipped: 0, failed: 0 };
      let lastError: string | undefined;
      for (const leadId of ids) {
        try {
          const handled = job.action === 'replay' ? await this.deadLetters.replay(leadId) : await this.deadLetters.purgeOne(leadId);
          tally[handled ? 'done' : 'skipped'] += 1;
        } catch (err) {
          tally.failed += 1;
          lastError = `${leadId}: ${(err as Error).message}`;
        }
      }
      if ((await this.redis.eval(RENEW_SCRIPT, 1, this.leaseKey(id), token, String(leaseMs))) !== 1) return;
      const multi = this.redis
        .multi()
        .ltrim(this.idsKey(id), ids.length, -1)
        .hincrby(this.key(id), 'done', tally.done)
        .hincrby(this.key(id), 'skipped', tally.skipped)
        .hincrby(this.key(id), 'failed', tally.failed)
        .hset(this.key(id), { updatedAt: new Date().toISOString(), ...(lastError ? { lastError } : {}) });
      await multi.exec();
    }
    await this.redis.hset(this.key(id), { status: 'done', updatedAt: new Date().toISOString() });
    const finished = await this.get(id);
    if (finished) {
      await this.audit.record({
        actor: finished.actor,
        action: `bulk-${finished.action}-finished`,
        target: `${finished.id}: ${finished.done} ${finished.action === 'replay' ? 'replayed' : 'purged'}, ${finished.skipped} skipped, ${finished.failed} failed`,
        outcome: finished.failed > 0 ? 'failed' : 'ok',
      });
    }
    await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, this.leaseKey(id), token);
  }

  /** Jobs left running by a process that died: taken up here (their lease has lapsed). */
  async resumeAbandoned(): Promise<string[]> {
    const resumed: string[] = [];
    for (const job of await this.recent()) {
      if (job.status !== 'running' || this.running.has(job.id) || (await this.redis.exists(this.leaseKey(job.id)))) continue;
      resumed.push(job.id);
      void this.run(job.id).catch(() => undefined);
    }
    return resumed;
  }
}
