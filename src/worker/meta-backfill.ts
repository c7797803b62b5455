import type { GraphLeadStub, MetaGraphClient } from '../clients/meta/graph-client';
import { GraphAuthError, MetaGraphError } from '../clients/meta/graph-errors';
import type { MetaBackfillConfig, MetaSourceConfig } from '../config/sources-config';
import type { LeadgenNotification } from '../lead/leadgen-notification';
import { fetchMetaLeadJob } from '../queue/jobs';
import type { MetaLeadQueue } from '../queue/meta-lead-queue';
import type { SeenIds } from '../queue/seen-ids';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { RedisClient } from '../shared/redis-client';
import { settleWithin } from '../shared/settle-within';
import type { MetaPageGate } from './meta-token-health';

export interface MetaBackfillDeps {
  meta: MetaSourceConfig & { backfill: MetaBackfillConfig };
  graph: Pick<MetaGraphClient, 'listForms' | 'leadsSince'>;
  /** Holds the poll lock. */
  redis: RedisClient;
  prefix: string;
  seen: Pick<SeenIds, 'seenAmong' | 'remember'>;
  metaQueue: Pick<MetaLeadQueue, 'enqueueAll'>;
  pages?: Pick<MetaPageGate, 'pausedPage' | 'tokenRefused'>;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

export interface BackfillReport {
  /** False when another process holds the lock or polled less than an interval ago. */
  ran: boolean;
  queued: number;
  /** Pages skipped because their token is dead, or whose poll failed. */
  skipped: string[];
  failed: string[];
}

export interface MetaBackfill {
  /** One poll now, if the lock is free. */
  pollNow(): Promise<BackfillReport>;
  close(timeoutMs?: number): Promise<void>;
}

/** Forms that take no leads: a draft never published, a deleted form Graph no longer serves. */
const SKIPPED_FORM_STATUSES = new Set(['DRAFT', 'DELETED']);
/** Refreshes the lock only for its owner (a poll slower than its TTL must not take over another's lock). */
const EXTEND_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";

function unixOf(graphTime: string | undefined): number | undefined {
  const ms = graphTime ? Date.parse(graphTime.replace(/\+0000$/, 'Z')) : NaN;
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function notificationOf(stub: GraphLeadStub, pageId: string, formId: string): LeadgenNotification {
  const note: LeadgenNotification = { leadgenId: stub.id, pageId, formId: stub.form_id ?? formId };
  if (stub.ad_id) note.adId = stub.ad_id;
  const created = unixOf(stub.created_time);
  if (created !== undefined) note.createdTime = created;
  return note;
}

/**
 * Every `intervalMinutes`, one worker process at a time (`${prefix}:meta:backfill:lock`, set NX with
 * a TTL of one interval and left to expire, so it also spaces the polls) reads each configured
 * Page's lead forms and the leads created within `lookbackHours`, and queues those whose leadgen_id
 * was never taken in: the same fetch job (job id `meta-<leadgen_id>`, lead id from the leadgen_id)
 * a webhook makes, remembered in the same seen-ids, so whichever path comes first wins and the other
 * is a no-op. The lookback is at most the seen-ids memory (72 h, checked by the config schema).
 * A Page whose token is dead is skipped; a failing Page is logged, counted and retried next poll.
 */
export function startMetaBackfill(deps: MetaBackfillDeps): MetaBackfill {
  const { meta, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const intervalMs = Math.max(1000, Math.round(meta.backfill.intervalMinutes * 60_000));
  const lockKey = `${deps.prefix}:meta:backfill:lock`;
  const owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  let closed = false;
  let running: Promise<BackfillReport> | undefined;

  async function takeIn(pageId: string, formId: string, stubs: GraphLeadStub[]): Promise<number> {
    const unique = [...new Map(stubs.map((s) => [s.id, s])).values()];
    const seen = await deps.seen.seenAmong('meta', unique.map((s) => s.id));
    const fresh = unique.filter((_, i) => !seen[i]);
    if (fresh.length === 0) return 0;
    const receivedAt = new Date(now()).toISOString();
    await deps.metaQueue.enqueueAll(fresh.map((stub) => fetchMetaLeadJob(notificationOf(stub, pageId, formId), receivedAt)));
    // The jobs are durable; a failed write here only means a later webhook finds the job id taken.
    await deps.seen.remember('meta', fresh.map((s) => s.id)).catch((err: Error) => logger.warn({ err: err.message }, 'cannot remember backfilled Meta lead ids'));
    metrics.metaBackfilled.inc({ page: pageId }, fresh.length);
    logger.info({ pageId, formId, leads: fresh.length }, 'Meta leads no webhook brought were found by backfill and queued');
    return fresh.length;
  }

  async function pollPage(pageId: string, token: string, sinceUnix: number): Promise<number> {
    let queued = 0;
    const forms = await deps.graph.listForms(pageId, token);
    for (const form of forms) {
      if (closed) break;
      if (form.status && SKIPPED_FORM_STATUSES.has(form.status)) continue;
      await deps.redis.eval(EXTEND_LOCK, 1, lockKey, owner, intervalMs);
      queued += await takeIn(pageId, form.id, await deps.graph.leadsSince(form.id, token, sinceUnix));
    }
    return queued;
  }

  async function poll(): Promise<BackfillReport> {
    const report: BackfillReport = { ran: false, queued: 0, skipped: [], failed: [] };
    if ((await deps.redis.set(lockKey, owner, 'PX', intervalMs, 'NX')) !== 'OK') return report;
    report.ran = true;
    const sinceUnix = Math.floor(now() / 1000 - meta.backfill.lookbackHours * 3600);
    for (const [pageId, page] of Object.entries(meta.pages)) {
      if (closed) break;
      if (deps.pages && (await deps.pages.pausedPage(pageId))) {
        report.skipped.push(pageId);
        continue;
      }
      try {
        report.queued += await pollPage(pageId, page.accessToken, sinceUnix);
      } catch (err) {
        report.failed.push(pageId);
        const kind = err instanceof MetaGraphError ? err.kind : 'queue';
        metrics.metaBackfillErrors.inc({ page: pageId, kind });
        logger.warn({ pageId, kind, err: (err as Error).message }, 'Meta backfill of a Page failed; trying again next poll');
        if (err instanceof GraphAuthError) await deps.pages?.tokenRefused(pageId, err).catch(() => undefined);
      }
    }
    return report;
  }

  function pollNow(): Promise<BackfillReport> {
    running ??= poll().finally(() => (running = undefined));
    return running;
  }

  // Ticks several times an interval: the lock decides who polls and when, so a poll is never much later than due.
  const tickMs = Math.min(Math.max(250, Math.floor(intervalMs / 4)), 60_000);
  const tick = () => {
    if (closed || running) return;
    pollNow().catch((err: Error) => logger.warn({ err: err.message }, 'Meta backfill poll failed; trying again'));
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  tick();

  return {
    pollNow,
    async close(timeoutMs = 5000) {
      closed = true;
      clearInterval(timer);
      if (running) await settleWithin(running, timeoutMs);
    },
  };
}
