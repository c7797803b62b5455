import type { MetaGraphClient } from '../clients/meta/graph-client';
import { GraphAuthError, MetaGraphError } from '../clients/meta/graph-errors';
import type { MetaSourceConfig } from '../config/sources-config';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { assessToken, tokenRejected, type MetaTokenHealth } from './meta-token-assessment';
import type { MetaTokenStore } from './meta-token-store';

export interface MetaTokenHealthDeps {
  meta: MetaSourceConfig;
  graph: Pick<MetaGraphClient, 'inspectToken'>;
  store: Pick<MetaTokenStore, 'read' | 'write'>;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/** What readers of a Page ask before a Graph call, and tell when Meta refused the token. */
export interface MetaPageGate {
  /** The record of a Page whose reads must wait (its token is dead), else undefined. */
  pausedPage(pageId: string): Promise<MetaTokenHealth | undefined>;
  /** A read was refused with an auth error: record the token dead (reads of the Page wait from now on). */
  tokenRefused(pageId: string, err: GraphAuthError): Promise<void>;
  /** How long a waiting read waits before it asks again. */
  readonly pausedRetryMs: number;
}

export interface MetaTokenChecker extends MetaPageGate {
  /** Checks one Page's token now (or every Page's); resolves when the records are written. */
  checkNow(pageId?: string): Promise<void>;
  close(): void;
}

function logHealth(logger: Logger, pageId: string, health: MetaTokenHealth): void {
  const fields = { pageId, status: health.status, expiresAt: health.expiresAt, reason: health.reason };
  if (health.paused) logger.error(fields, 'Meta Page token is dead: reads of this Page wait');
  else if (health.status !== 'ok') logger.warn(fields, 'Meta Page token needs attention');
  else logger.info({ pageId, expiresAt: health.expiresAt }, 'Meta Page token checked: ok');
}

/**
 * Checks every configured Page token with debug_token when the worker starts and every
 * `checkIntervalHours` (every `pausedRecheckMinutes` while it is dead), writes the verdict to Redis
 * for every process to show, and logs each change. The app token (`appId|appSecret`) asks when
 * configured; otherwise the Page token inspects itself (a dead one is then refused with 190, which
 * says the same). A check that fails for another reason (network, rate limit) leaves the last
 * verdict standing and is tried again after `pausedRecheckMinutes`.
 */
export function startMetaTokenHealth(deps: MetaTokenHealthDeps): MetaTokenChecker {
  const { meta, store, logger } = deps;
  const now = deps.now ?? Date.now;
  const health = meta.tokenHealth;
  const pausedRetryMs = Math.round(health.pausedRecheckMinutes * 60_000);
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const callerToken = (pageToken: string) => (meta.appId && meta.appSecret ? `${meta.appId}|${meta.appSecret}` : pageToken);

  async function record(pageId: string, token: string, verdict: MetaTokenHealth): Promise<void> {
    const before = await store.read(pageId, token).catch(() => undefined);
    await store.write(pageId, token, verdict);
    if (before?.status !== verdict.status || before?.reason !== verdict.reason) logHealth(logger, pageId, verdict);
  }

  async function check(pageId: string): Promise<number> {
    const token = meta.pages[pageId]?.accessToken;
    if (!token) return Number.POSITIVE_INFINITY;
    let verdict: MetaTokenHealth;
    try {
      const info = await deps.graph.inspectToken(token, callerToken(token));
      verdict = assessToken(info, pageId, now(), health.warnDays);
    } catch (err) {
      if (err instanceof GraphAuthError) verdict = tokenRejected(pageId, err, now());
      else {
        const kind = err instanceof MetaGraphError ? err.kind : 'unexpected';
        deps.metrics.fetchFailures.inc({ source: 'meta', kind: `token_check_${kind}` });
        logger.warn({ pageId, kind, err: (err as Error).message }, 'cannot check Meta Page token; keeping the last verdict');
        return pausedRetryMs;
      }
    }
    await record(pageId, token, verdict);
    return verdict.paused ? pausedRetryMs : Math.round(health.checkIntervalHours * 3600_000);
  }

  function schedule(pageId: string, delayMs: number): void {
    if (closed || !Number.isFinite(delayMs)) return;
    clearTimeout(timers.get(pageId));
    // setTimeout holds at most 2^31-1 ms (~24.8 days).
    const timer = setTimeout(() => void run(pageId), Math.min(delayMs, 2 ** 31 - 1));
    timer.unref();
    timers.set(pageId, timer);
  }

  async function run(pageId: string): Promise<void> {
    const next = await check(pageId).catch((err: Error) => {
      logger.warn({ pageId, err: err.message }, 'cannot record Meta Page token health; trying again');
      return pausedRetryMs;
    });
    schedule(pageId, next);
  }

  for (const pageId of Object.keys(meta.pages)) schedule(pageId, 0);

  return {
    pausedRetryMs,
    async pausedPage(pageId) {
      const token = meta.pages[pageId]?.accessToken;
      if (!token) return undefined;
      const current = await store.read(pageId, token);
      return current?.paused ? current : undefined;
    },
    async tokenRefused(pageId, err) {
      const token = meta.pages[pageId]?.accessToken;
      if (!token) return;
      const current = await store.read(pageId, token).catch(() => undefined);
      if (current?.paused) return;
      await record(pageId, token, tokenRejected(pageId, err, now()));
      // Look again soon: the next check either confirms the token is dead or clears a one-off refusal.
      schedule(pageId, pausedRetryMs);
    },
    async checkNow(pageId) {
      const ids = pageId ? [pageId] : Object.keys(meta.pages);
      await Promise.all(ids.map((id) => run(id)));
    },
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
