/**
 * The promise the chaos suite checks: every lead answered 202 exists in the portal exactly once
 * (by ORIGIN_ID = lead id; a later copy leadgate deleted counts as fixed) or sits in the dead-letter
 * queue with a reason. Nothing else may appear in the portal.
 */
import { appendFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { DeadLetterStore } from '../../../src/queue/dead-letter-store';
import type { Bitrix24Simulator } from '@leadgate/simulators';
import { sleep } from '../../helpers/wait-for';
import { CHAOS_PREFIX } from './leadgate-cluster';

export interface Verdict {
  scenario: string;
  leads: number;
  kills: number;
  deliveredOnce: number;
  duplicates: number;
  lost: number;
  deadLettered: number;
  deadLetteredWithoutReason: number;
  /** Accepted leads that are both in the portal and dead-lettered (a replay would duplicate them). */
  deliveredAndDeadLettered: number;
  deletedDuplicates: number;
  /** Leads in the portal whose ORIGIN_ID no client was given (a 503 that stored, then a retry). */
  unexpected: number;
  /** Submissions never answered 202 or refused outright. */
  unanswered: number;
  refused: number;
  settled: boolean;
  wallMs: number;
}

/** BullMQ's job sets that still hold work (a delayed duplicate check counts too). */
const BACKLOG_SUFFIXES = [':wait', ':active', ':paused', ':delayed', ':prioritized', ':waiting-children'];

export async function backlog(redis: IORedis): Promise<number> {
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${CHAOS_PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (!BACKLOG_SUFFIXES.some((s) => key.endsWith(s))) continue;
      const type = await redis.type(key);
      total += type === 'list' ? await redis.llen(key) : type === 'zset' ? await redis.zcard(key) : 0;
    }
  } while (cursor !== '0');
  return total;
}

async function deadLetters(redis: IORedis): Promise<Map<string, { code: string; reason: string }>> {
  const store = new DeadLetterStore(redis, CHAOS_PREFIX);
  const out = new Map<string, { code: string; reason: string }>();
  for (const entry of await store.list(0, 100_000)) out.set(entry.lead.id, { code: entry.code, reason: entry.reason });
  return out;
}

/**
 * Quiet = no request in flight or waiting to commit at the portal, no job left in any BullMQ set,
 * every accepted lead accounted for, and no portal call for `quietMs`. Gives up after `timeoutMs`.
 */
export async function waitUntilQuiet(sim: Bitrix24Simulator, redisUrl: string, accepted: Set<string>, timeoutMs: number, quietMs = 3000): Promise<boolean> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  let lastCalls = -1;
  try {
    while (Date.now() < deadline) {
      const stats = sim.stats();
      const calls = stats.requests;
      const live = new Set(sim.origins().filter((o) => o.live.length > 0).map((o) => o.originId));
      const dead = await deadLetters(redis).catch(() => undefined);
      const pending = await backlog(redis).catch(() => -1);
      const accounted = dead !== undefined && [...accepted].every((id) => live.has(id) || dead.has(id));
      const still = stats.inFlight === 0 && stats.uncommittedLeads === 0 && pending === 0 && accounted && calls === lastCalls;
      if (!still) quietSince = 0;
      else if (quietSince === 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return true;
      lastCalls = calls;
      await sleep(500);
    }
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function judge(
  base: { scenario: string; kills: number; startedAt: number; settled: boolean; unanswered: number; refused: number },
  sim: Bitrix24Simulator,
  redisUrl: string,
  accepted: Set<string>,
): Promise<Verdict> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  let dead: Map<string, { code: string; reason: string }>;
  try {
    dead = await deadLetters(redis);
  } finally {
    redis.disconnect();
  }
  const origins = new Map(sim.origins().map((o) => [o.originId, o]));
  const v: Verdict = {
    scenario: base.scenario,
    leads: accepted.size,
    kills: base.kills,
    deliveredOnce: 0,
    duplicates: 0,
    lost: 0,
    deadLettered: 0,
    deadLetteredWithoutReason: 0,
    deliveredAndDeadLettered: 0,
    deletedDuplicates: 0,
    unexpected: 0,
    unanswered: base.unanswered,
    refused: base.refused,
    settled: base.settled,
    wallMs: Date.now() - base.startedAt,
  };
  for (const id of accepted) {
    const o = origins.get(id);
    const live = o?.live.length ?? 0;
    const letter = dead.get(id);
    v.deletedDuplicates += o?.deleted.length ?? 0;
    if (live > 1) v.duplicates += live - 1;
    if (letter) {
      v.deadLettered++;
      if (!letter.reason || !letter.code) v.deadLetteredWithoutReason++;
      if (live > 0) v.deliveredAndDeadLettered++;
    } else if (live === 0) v.lost++;
    else v.deliveredOnce++;
  }
  for (const o of origins.values()) if (!accepted.has(o.originId)) v.unexpected += o.live.length;
  const missing = [...accepted].filter((id) => !dead.has(id) && (origins.get(id)?.live.length ?? 0) === 0);
  if (missing.length > 0) await describeMissing(redisUrl, missing);
  return v;
}

/** Where the leads that never arrived are stuck: printed so a failing run can be diagnosed afterwards. */
async function describeMissing(redisUrl: string, missing: string[]): Promise<void> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue('deliver-main', { connection: redis, prefix: CHAOS_PREFIX });
  try {
    const counts = await queue.getJobCounts();
    const paused = await queue.isPaused();
    const rateLimitTtl = await queue.getRateLimitTtl();
    const breaker = await redis.hgetall(`${CHAOS_PREFIX}:breaker:main`);
    const samples = await Promise.all(
      missing.slice(0, 5).map(async (id) => {
        const job = await queue.getJob(id);
        return {
          id,
          state: job ? await job.getState() : 'no job',
          attemptsMade: job?.attemptsMade,
          attemptsStarted: job?.attemptsStarted,
          stalledCounter: job?.stalledCounter,
          failedReason: job?.failedReason,
          delayUntil: job ? new Date(job.timestamp + (job.delay ?? 0)).toISOString() : undefined,
          ledger: await redis.hgetall(`${CHAOS_PREFIX}:lead:${id}`),
          history: await redis.lrange(`${CHAOS_PREFIX}:lead:${id}:attempts`, -5, -1),
        };
      }),
    );
    process.stdout.write(`chaos missing leads: ${missing.length}; queue ${JSON.stringify({ counts, paused, rateLimitTtl, breaker })}\n${samples.map((x) => JSON.stringify(x)).join('\n')}\n`);
  } catch (err) {
    process.stdout.write(`chaos missing leads: ${missing.length}; cannot describe them: ${(err as Error).message}\n`);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/** One line per scenario on stdout, and JSON lines to $CHAOS_REPORT for RELIABILITY.md. */
export function report(v: Verdict): void {
  const line =
    `chaos ${v.scenario}: leads ${v.leads}, kills ${v.kills}, duplicates ${v.duplicates}, lost ${v.lost}, ` +
    `dead-lettered ${v.deadLettered}, deleted duplicates ${v.deletedDuplicates}, unexpected ${v.unexpected}, ` +
    `unanswered ${v.unanswered}, settled ${v.settled}, wall ${(v.wallMs / 1000).toFixed(1)} s`;
  process.stdout.write(`${line}\n`);
  const file = process.env.CHAOS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ ...v, at: new Date().toISOString() })}\n`);
}

/** The bar, as one object so a failure shows every figure at once. */
export function expectedVerdict(v: Verdict): Partial<Verdict> {
  return {
    ...v,
    duplicates: 0,
    lost: 0,
    deadLettered: 0,
    deadLetteredWithoutReason: 0,
    deliveredAndDeadLettered: 0,
    unexpected: 0,
    unanswered: 0,
    refused: 0,
    settled: true,
    deliveredOnce: v.leads,
  };
}
