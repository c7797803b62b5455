import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { LinkedInApiError, type LeadSyncClient } from '../clients/linkedin/lead-sync-client';
import type { LinkedInSourceConfig } from '../config/sources-config';
import type { Lead } from '../lead/lead';
import type { DeadLetterStore } from '../queue/dead-letter-store';
import type { LeadLedger } from '../queue/lead-ledger';
import type { LeadQueue } from '../queue/lead-queue';
import type { FetchLinkedInLeadJob } from '../queue/linkedin-lead-queue';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { LinkedInLeadForm } from '../sources/linkedin/linkedin-lead';
import { linkedInLeadToLead } from '../sources/linkedin/linkedin-lead';
import { deadLetterLead } from './dead-letter';

export interface FetchLinkedInLeadDeps {
  linkedin: LinkedInSourceConfig;
  client: Pick<LeadSyncClient, 'fetchResponse' | 'fetchForm'>;
  queue: Pick<LeadQueue, 'enqueue'>;
  ledger: Pick<LeadLedger, 'recordQueued' | 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'claim' | 'add'>;
  metrics: Metrics;
  logger: Logger;
  /** While the token is refused (and cannot be refreshed), reads wait this long, no attempt spent. */
  authRetryMs?: number;
}

/** A form's questions change rarely; one read per form per 10 minutes per worker. */
const FORM_TTL_MS = 10 * 60_000;

function standInLead(config: LinkedInSourceConfig, job: FetchLinkedInLeadJob): Lead {
  const note = job.notification;
  const clickIds: Record<string, string> = { linkedin_response_id: note.responseId };
  if (note.formId) clickIds.linkedin_form_id = note.formId;
  return { id: job.leadId, source: { kind: 'linkedin', name: 'linkedin', externalId: note.responseId }, destination: config.destination, receivedAt: job.receivedAt, fields: {}, utm: {}, tracking: { clickIds }, extras: [], trackingField: config.trackingField };
}

/** Dead-letters a LinkedIn lead that could not be read, so `leadgate dlq replay` reads it again. */
export async function deadLetterLinkedInFetch(
  deps: Pick<FetchLinkedInLeadDeps, 'linkedin' | 'ledger' | 'deadLetters' | 'metrics' | 'logger'>,
  data: FetchLinkedInLeadJob,
  error: { message: string; code: string },
): Promise<boolean> {
  const lead = standInLead(deps.linkedin, data);
  await deps.ledger.recordQueued(lead);
  return deadLetterLead(deps, { lead, code: error.code, reason: error.message, unsure: false, refetch: { stage: 'fetch-linkedin', job: data } });
}

/**
 * Consumes `linkedin-leads`: reads the response (and its form's questions) from the Lead Sync API,
 * maps it, and queues it for delivery under the lead id chosen at receipt. A refused token is
 * refreshed by the client; while it cannot be, reads wait (delayed, no attempt spent). Rate limits
 * and outages are retried with backoff; a missing permission or an unknown response is dead-lettered
 * with what the operator must do.
 */
export function createFetchLinkedInLeadProcessor(deps: FetchLinkedInLeadDeps) {
  const { linkedin, metrics, logger } = deps;
  const forms = new Map<string, { form: LinkedInLeadForm; at: number }>();

  async function formOf(formId: string | undefined): Promise<LinkedInLeadForm | undefined> {
    if (!formId) return undefined;
    const cached = forms.get(formId);
    if (cached && Date.now() - cached.at < FORM_TTL_MS) return cached.form;
    const form = await deps.client.fetchForm(formId);
    forms.set(formId, { form, at: Date.now() });
    return form;
  }

  return async function fetchLinkedInLead(job: Job<FetchLinkedInLeadJob>, lockToken?: string): Promise<{ leadId: string; outcome: 'queued' | 'dropped_test' }> {
    const { notification, leadId, receivedAt } = job.data;
    const attempts = job.opts.attempts ?? 1;
    try {
      const response = await deps.client.fetchResponse(notification.responseId);
      const formId = notification.formId ?? /leadGenForm:([0-9]+)/.exec(response.versionedLeadGenFormUrn ?? '')?.[1];
      // Without the questions the answers are still kept, labelled by question id.
      const form = await formOf(formId).catch((err: Error) => {
        if (err instanceof LinkedInApiError && err.retryable) throw err;
        logger.warn({ formId, err: err.message }, 'cannot read the LinkedIn form; answers are labelled by question id');
        return undefined;
      });
      const mapped = linkedInLeadToLead(response, form, notification, linkedin, { id: leadId, receivedAt });
      if (!mapped.ok) throw new LinkedInApiError(`the Lead Sync answer for ${notification.responseId} cannot be mapped: ${mapped.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, 'request', 200, 'MAPPING');
      if (mapped.value.test && linkedin.testLeads === 'drop') {
        metrics.testLeadsDropped.inc({ source: 'linkedin' });
        return { leadId, outcome: 'dropped_test' };
      }
      await deps.queue.enqueue(mapped.value);
      await deps.ledger.recordQueued(mapped.value).catch((err: Error) => logger.warn({ leadId, err: err.message }, 'cannot record lead status'));
      metrics.queued.inc({ source: 'linkedin', destination: mapped.value.destination });
      logger.info({ leadId, destination: mapped.value.destination }, 'LinkedIn lead read and queued');
      return { leadId, outcome: 'queued' };
    } catch (err) {
      if (!(err instanceof LinkedInApiError)) {
        if (job.attemptsMade + 1 < attempts) throw err;
        const reason = `gave up after ${attempts} attempts: ${(err as Error)?.message ?? String(err)}`;
        await deadLetterLinkedInFetch(deps, job.data, { message: reason, code: 'LINKEDIN_GAVE_UP' });
        throw new UnrecoverableError(reason);
      }
      metrics.fetchFailures.inc({ source: 'linkedin', kind: err.kind });
      if (err.kind === 'auth') {
        // Nothing a retry of this lead fixes, and nothing wrong with the lead: wait for a token.
        logger.error({ responseId: notification.responseId, err: err.message }, 'LinkedIn refuses the token; reads wait for a new one');
        await job.moveToDelayed(Date.now() + (deps.authRetryMs ?? 60_000), lockToken);
        throw new DelayedError();
      }
      if (err.retryable && job.attemptsMade + 1 < attempts) {
        logger.info({ responseId: notification.responseId, kind: err.kind, attempt: job.attemptsMade + 1 }, 'LinkedIn read failed, will retry');
        throw err;
      }
      const reason = err.retryable ? `gave up after ${attempts} attempts: ${err.message}` : err.message;
      await deadLetterLinkedInFetch(deps, job.data, { message: reason, code: `LINKEDIN_${(err.code === 'MAPPING' ? 'mapping' : err.kind).toUpperCase()}` });
      throw new UnrecoverableError(reason);
    }
  };
}
