import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Lead } from '../lead/lead';
import type { DeadLetterStore } from '../queue/dead-letter-store';
import { readFetchMetaLeadJob, type FetchMetaLeadJob, type FetchMetaLeadResult } from '../queue/jobs';
import type { LeadLedger } from '../queue/lead-ledger';
import type { LeadQueue } from '../queue/lead-queue';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { MetaGraphClient } from '../clients/meta/graph-client';
import { GraphAuthError, MetaGraphError } from '../clients/meta/graph-errors';
import { metaLeadToLead } from '../sources/meta/graph-lead';
import type { MetaSourceConfig } from '../config/sources-config';
import { deadLetterLead } from './dead-letter';
import type { MetaPageGate } from './meta-token-health';

export interface FetchMetaLeadDeps {
  meta: MetaSourceConfig;
  graph: Pick<MetaGraphClient, 'fetchLead'>;
  queue: Pick<LeadQueue, 'enqueue'>;
  ledger: Pick<LeadLedger, 'recordQueued' | 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'claim' | 'add'>;
  metrics: Metrics;
  logger: Logger;
  /**
   * Page-token health: reads of a Page whose token is dead wait (the job is delayed, no attempt
   * spent) instead of being dead-lettered. Without it an auth error dead-letters the lead.
   */
  pages?: MetaPageGate;
}

/** The job went back to the delayed set: its Page's token is dead. */
class PageWaiting extends Error {}

/** A failure no retry can fix; `kind` labels the metric, `code` the dead letter. */
export class PermanentFetchError extends Error {
  constructor(message: string, readonly kind: string, readonly code: string) {
    super(message);
    this.name = 'PermanentFetchError';
  }
}

/** Where the lead would have gone, for the dead letter's stand-in and `leadgate dlq list`. */
function destinationOf(meta: MetaSourceConfig, job: FetchMetaLeadJob): string {
  const { pageId, formId } = job.notification;
  const page = meta.pages[pageId];
  return (formId ? page?.forms?.[formId]?.destination : undefined) ?? page?.destination ?? meta.destination;
}

/** A Lead-shaped record of a lead that was never read: ids only, so the operator can find it at Meta. */
function standInLead(meta: MetaSourceConfig, job: FetchMetaLeadJob): Lead {
  const note = job.notification;
  const clickIds: Record<string, string> = { meta_lead_id: note.leadgenId, meta_page_id: note.pageId };
  if (note.formId) clickIds.meta_form_id = note.formId;
  if (note.adId) clickIds.meta_ad_id = note.adId;
  return {
    id: job.leadId,
    source: { kind: 'meta', name: note.pageId, externalId: note.leadgenId },
    destination: destinationOf(meta, job),
    receivedAt: job.receivedAt,
    fields: {},
    utm: {},
    tracking: { clickIds },
    extras: [],
    trackingField: meta.trackingField,
  };
}

/**
 * Dead-letters a Meta lead that could not be read, with a stand-in lead (ids only) and a `refetch`
 * note so `leadgate dlq replay` reads it from Meta again. Used by the processor and by the worker's
 * safety net for jobs BullMQ failed outside the processor.
 */
export async function deadLetterFetch(
  deps: Pick<FetchMetaLeadDeps, 'meta' | 'ledger' | 'deadLetters' | 'metrics' | 'logger'>,
  data: FetchMetaLeadJob,
  error: { message: string; code: string },
): Promise<boolean> {
  const lead = standInLead(deps.meta, data);
  await deps.ledger.recordQueued(lead);
  return deadLetterLead(deps, { lead, code: error.code, reason: error.message, unsure: false, refetch: { stage: 'fetch-meta', job: data } });
}

/**
 * Consumes `meta-leads`: reads the announced lead from the Graph API with its Page token, maps it,
 * and puts it on its destination's delivery queue under the lead id chosen at receipt (so a re-run
 * cannot deliver twice). Rate limits and Meta outages are retried with backoff; while a Page's token
 * is dead (token health, or an auth error on this read) its reads wait in the delayed set, no attempt
 * spent, and other Pages keep flowing; a missing permission or an unknown Page are dead-lettered with
 * what the operator must do.
 */
export function createFetchMetaLeadProcessor(deps: FetchMetaLeadDeps) {
  const { meta, metrics, logger } = deps;

  const deadLetter = (job: Job<FetchMetaLeadJob>, error: PermanentFetchError) => deadLetterFetch(deps, job.data, error);

  async function fetchLead(job: Job<FetchMetaLeadJob>) {
    const { notification } = job.data;
    if (deps.pages && (await deps.pages.pausedPage(notification.pageId))) throw new PageWaiting();
    const page = meta.pages[notification.pageId];
    if (!page) {
      metrics.fetchFailures.inc({ source: 'meta', kind: 'unknown_page' });
      throw new PermanentFetchError(
        `no access token is configured for Meta Page ${notification.pageId}: add sources.meta.pages.${notification.pageId}.accessToken (a long-lived Page access token with leads_retrieval), then replay this dead letter`,
        'unknown_page',
        'META_UNKNOWN_PAGE',
      );
    }
    try {
      return await deps.graph.fetchLead(notification.leadgenId, page.accessToken);
    } catch (err) {
      if (!(err instanceof MetaGraphError)) throw err;
      metrics.fetchFailures.inc({ source: 'meta', kind: err.kind });
      if (err instanceof GraphAuthError && deps.pages) {
        await deps.pages.tokenRefused(notification.pageId, err);
        throw new PageWaiting();
      }
      if (!err.retryable) throw new PermanentFetchError(err.message, err.kind, `META_${err.kind.toUpperCase()}`);
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        throw new PermanentFetchError(`gave up after ${attempts} attempts: ${err.message}`, err.kind, `META_${err.kind.toUpperCase()}`);
      }
      logger.info({ leadgenId: notification.leadgenId, kind: err.kind, attempt: job.attemptsMade + 1 }, 'Meta Graph API read failed, will retry');
      throw err;
    }
  }

  return async function fetchMetaLead(job: Job<FetchMetaLeadJob>, lockToken?: string): Promise<FetchMetaLeadResult> {
    const { notification, leadId, receivedAt } = readFetchMetaLeadJob(job.data);
    try {
      const graphLead = await fetchLead(job);
      const mapped = metaLeadToLead(graphLead, notification, meta, { id: leadId, receivedAt });
      if (!mapped.ok) {
        metrics.fetchFailures.inc({ source: 'meta', kind: 'mapping' });
        const problems = mapped.errors.map((e) => `${e.field} ${e.message}`).join('; ');
        throw new PermanentFetchError(`the Graph API answer for lead ${notification.leadgenId} cannot be mapped: ${problems}`, 'mapping', 'META_MAPPING');
      }
      const lead = mapped.value;
      if (lead.test && meta.testLeads === 'drop') {
        metrics.testLeadsDropped.inc({ source: 'meta' });
        logger.info({ leadId, leadgenId: notification.leadgenId }, 'Meta test lead dropped (sources.meta.testLeads: drop)');
        return { leadId, outcome: 'dropped_test' };
      }
      // Same id as any earlier run of this job: BullMQ ignores the second add, Bitrix24 gets one lead.
      await deps.queue.enqueue(lead);
      await deps.ledger.recordQueued(lead).catch((err: Error) => logger.warn({ leadId, err: err.message }, 'cannot record lead status'));
      metrics.queued.inc({ source: 'meta', destination: lead.destination });
      logger.info({ leadId, leadgenId: notification.leadgenId, destination: lead.destination }, 'Meta lead read and queued');
      return { leadId, outcome: 'queued' };
    } catch (err) {
      if (err instanceof PageWaiting && deps.pages) {
        // Back to the delayed set without spending an attempt; the Page's record says why (/readyz, logs).
        await job.moveToDelayed(Date.now() + deps.pages.pausedRetryMs, lockToken);
        logger.debug({ leadgenId: notification.leadgenId, pageId: notification.pageId }, 'Meta read waits: the Page token is dead');
        throw new DelayedError();
      }
      if (err instanceof PermanentFetchError) {
        await deadLetter(job, err);
        throw new UnrecoverableError(err.message);
      }
      const attempts = job.opts.attempts ?? 1;
      if (!(err instanceof MetaGraphError) && job.attemptsMade + 1 >= attempts) {
        const reason = `gave up after ${attempts} attempts: ${(err as Error)?.message ?? String(err)}`;
        await deadLetter(job, new PermanentFetchError(reason, 'unexpected', 'META_GAVE_UP'));
        throw new UnrecoverableError(reason);
      }
      throw err;
    }
  };
}
