import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { CrmEntity } from '../clients/bitrix24/crm-writer';
import { toBitrix24Fields } from '../clients/bitrix24/map-lead';
import {
  DeliveryError,
  DestinationThrottledError,
  DestinationUnavailableError,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from '../clients/delivery-errors';
import {
  CHECK_DUPLICATES_JOB,
  readDeliverLeadJob,
  type CheckDuplicatesJobV1,
  type DeliverLeadJob,
  type DeliverLeadJobV2,
  type DeliveryReceipt,
} from '../queue/jobs';
import type { LeadLedger, LeadStatus } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { CrmSteps } from './crm-steps';
import { deadLetterLead, type DeadLetterDeps } from './dead-letter';
import { LeadReleasedError, type PortalDispatcher } from './portal-dispatcher';

export interface DeliveryProcessorDeps extends DeadLetterDeps {
  destination: string;
  originatorId: string;
  /** What each lead becomes on this destination (config `entity`); default lead. */
  entity?: CrmEntity;
  dispatcher: Pick<PortalDispatcher, 'deliver' | 'checkDuplicates'> & Partial<Pick<PortalDispatcher, 'announce'>>;
  ledger: Pick<LeadLedger, 'deliveryState' | 'recordDelivered' | 'recordFailure' | 'recordDuplicatesRemoved' | 'get' | 'recordCrmOutcome'>;
  /** Returning customers before the add, what a converting portal made of the lead after it. */
  crm?: Pick<CrmSteps, 'prepare' | 'afterCreate'>;
  /** Pauses this destination's queue for every worker (BullMQ's queue-wide rate limit). */
  rateLimit(ms: number): Promise<void>;
  /** Opens the destination's circuit breaker: its queue pauses with every lead kept. */
  pauseDestination(code: string, reason: string): Promise<void>;
  /** Queues a later look for copies of a lead delivered after an ambiguous attempt (one per delivery attempt). */
  scheduleDuplicateCheck(leadId: string, attempt: number): Promise<void>;
  /** ASSIGNED_BY_ID from the lead's assignment pool, if it has one (the same user on every attempt). */
  assignee?(lead: DeliverLeadJobV2['lead']): Promise<number | undefined>;
}

type DeliveryJob = Job<DeliverLeadJob | CheckDuplicatesJobV1>;

/**
 * One job = one lead. Decides, from the typed error, whether the lead is delivered, retried,
 * paused with its destination (no attempt spent) or dead-lettered with its reason.
 */
export function createDeliveryProcessor(deps: DeliveryProcessorDeps) {
  const { destination, metrics, logger } = deps;

  /** Throttles and destination-wide failures spend no attempt; true when the error was one of them. */
  async function holdDestination(job: DeliveryJob, leadId: string, error: DeliveryError, state: { status: LeadStatus; unsure: boolean }): Promise<boolean> {
    if (error instanceof DestinationThrottledError) {
      await deps.ledger.recordFailure(leadId, { outcome: 'throttled', code: error.code, message: error.message }, state);
      metrics.throttled.inc({ destination, code: error.code });
      await deps.rateLimit(error.retryAfterMs);
      return true;
    }
    if (error instanceof DestinationUnavailableError) {
      // Every lead of this destination would fail alike: keep them all, pause, let a probe resume.
      await deps.pauseDestination(error.code, error.reason);
      await deps.ledger.recordFailure(leadId, { outcome: 'paused', code: error.code, message: error.message }, state);
      await deps.rateLimit(1000);
      return true;
    }
    return false;
  }

  async function deliverLead(job: Job<DeliverLeadJob>, token?: string): Promise<DeliveryReceipt> {
    // Jobs are taken in bursts (50 complete, 50 more are taken): a part-full batch waits for this lead.
    const handedOver = deps.dispatcher.announce?.() ?? (() => undefined);
    try {
      return await deliverAnnounced(job, handedOver, token);
    } finally {
      handedOver();
    }
  }

  async function deliverAnnounced(job: Job<DeliverLeadJob>, handedOver: () => void, token?: string): Promise<DeliveryReceipt> {
    const { lead, reconcileFirst: replayed } = readDeliverLeadJob(job.data, job.id);
    const known = await deps.ledger.deliveryState(lead.id);
    if (known.deliveredAs !== undefined) {
      // A worker died between recording the delivery and completing the job: never send it again.
      logger.info({ leadId: lead.id, destination, bitrixLeadId: known.deliveredAs }, 'lead already delivered; job completed without sending');
      return { bitrixLeadId: known.deliveredAs, reconciled: true };
    }
    // A job taken over from a dead worker is ambiguous even if the mark never made it to Redis.
    const reconcileFirst = known.unsure || replayed || job.stalledCounter > 0;
    try {
      const fields = toBitrix24Fields(lead, deps.originatorId);
      const assignee = await deps.assignee?.(lead);
      if (assignee !== undefined) fields.ASSIGNED_BY_ID = assignee;
      const prepared = deps.crm ? await deps.crm.prepare(lead, fields, reconcileFirst) : { kind: 'create' as const, fields };
      if (prepared.kind === 'commented') {
        // No lead was created for this submission, so there is no copy to look for later.
        await deps.ledger.recordCrmOutcome(lead.id, { commentId: prepared.commentId });
        await deps.ledger.recordDelivered(lead.id, prepared.bitrixLeadId, prepared.reconciled, prepared.owner === 'deal' ? {} : undefined);
        metrics.delivered.inc({ destination, how: prepared.reconciled ? 'reconciled' : 'commented' });
        metrics.activity.count('delivered', { source: lead.source.kind, destination });
        logger.info({ leadId: lead.id, destination, [prepared.owner === 'deal' ? 'dealId' : 'bitrixLeadId']: prepared.bitrixLeadId, commentId: prepared.commentId }, `returning customer: submission added to their open ${prepared.owner}`);
        return { bitrixLeadId: prepared.bitrixLeadId, reconciled: prepared.reconciled };
      }
      const delivery = deps.dispatcher.deliver({ leadId: lead.id, fields: prepared.fields, reconcileFirst });
      // After deliver() has queued it: withdrawn first, a batch waiting for it alone would leave without it.
      handedOver();
      const outcome = await delivery;
      // Any earlier ambiguous attempt may still commit after this one (created or found), and more than
      // one may: look again later. Scheduled before the delivery is recorded, so a crash in between
      // leaves the lead unsure and the next attempt schedules it again.
      if (reconcileFirst) await deps.scheduleDuplicateCheck(lead.id, job.attemptsStarted);
      const deal = deps.entity === 'deal' ? { ...(outcome.contactId !== undefined ? { contactId: outcome.contactId } : {}) } : undefined;
      await deps.ledger.recordDelivered(lead.id, outcome.bitrixLeadId, outcome.reconciled, deal);
      metrics.delivered.inc({ destination, how: outcome.reconciled ? 'reconciled' : 'created' });
      metrics.activity.count('delivered', { source: lead.source.kind, destination });
      metrics.latency.observe({ destination }, (Date.now() - Date.parse(lead.receivedAt)) / 1000);
      metrics.activity.latency(destination, Date.now() - Date.parse(lead.receivedAt));
      logger.info({ leadId: lead.id, destination, [deal ? 'dealId' : 'bitrixLeadId']: outcome.bitrixLeadId, ...deal, reconciled: outcome.reconciled }, 'lead delivered');
      // A deal destination made the deal itself: there is no conversion to look up.
      if (!deal) await deps.crm?.afterCreate(lead.id, outcome.bitrixLeadId);
      return { bitrixLeadId: outcome.bitrixLeadId, reconciled: outcome.reconciled };
    } catch (err) {
      if (err instanceof LeadReleasedError) {
        // Not an attempt: nothing was sent. Back to the queue at once, without spending an attempt.
        await job.moveToDelayed(Date.now() + 100, token);
        throw new DelayedError();
      }
      const error = err instanceof DeliveryError ? err : new RetryableDeliveryError(`unexpected error: ${(err as Error).message}`, { ambiguous: true });
      const unsure = reconcileFirst || (error instanceof RetryableDeliveryError && error.ambiguous);
      if (await holdDestination(job, lead.id, error, { status: job.attemptsMade > 0 ? 'retrying' : 'queued', unsure: reconcileFirst })) {
        throw Worker.RateLimitError();
      }
      const attempts = job.opts.attempts ?? 1;
      if (error instanceof PermanentDeliveryError || job.attemptsMade + 1 >= attempts) {
        const reason = error instanceof PermanentDeliveryError ? error.message : `gave up after ${attempts} attempts: ${error.message}`;
        await deadLetterLead(deps, { lead, code: error.code, reason, unsure });
        throw new UnrecoverableError(error.message);
      }
      await deps.ledger.recordFailure(lead.id, { outcome: 'retry', code: error.code, message: error.message }, { status: 'retrying', unsure });
      metrics.retried.inc({ destination, code: error.code || 'UNKNOWN' });
      metrics.activity.count('retried', { source: lead.source.kind, destination });
      logger.info({ leadId: lead.id, destination, code: error.code, attempt: job.attemptsMade + 1 }, 'delivery failed, will retry');
      throw error;
    }
  }

  /** Deletes later copies of a lead; a failure is retried, and never dead-letters a delivered lead. */
  async function checkDuplicates(job: Job<CheckDuplicatesJobV1>, token?: string): Promise<DeliveryReceipt | undefined> {
    const { leadId } = job.data;
    try {
      const check = await deps.dispatcher.checkDuplicates(leadId);
      if (check.keptId !== undefined && check.removedIds.length > 0) {
        const deal = deps.entity === 'deal' ? { ...(check.keptContactId !== undefined ? { contactId: check.keptContactId } : {}) } : undefined;
        await deps.ledger.recordDuplicatesRemoved(leadId, check.keptId, check.removedIds, deal);
        metrics.duplicatesRemoved.inc({ destination }, check.removedIds.length);
        logger.warn({ leadId, destination, keptId: check.keptId, removedIds: check.removedIds }, 'a late commit doubled the lead; later copies deleted');
      }
      return check.keptId !== undefined ? { bitrixLeadId: check.keptId, reconciled: true } : undefined;
    } catch (err) {
      if (err instanceof LeadReleasedError) {
        await job.moveToDelayed(Date.now() + 100, token);
        throw new DelayedError();
      }
      const error = err instanceof DeliveryError ? err : new RetryableDeliveryError(`unexpected error: ${(err as Error).message}`, { ambiguous: false });
      const state = await deps.ledger.deliveryState(leadId);
      if (await holdDestination(job, leadId, error, { status: state.deliveredAs ? 'delivered' : 'retrying', unsure: state.unsure })) throw Worker.RateLimitError();
      logger.error({ leadId, destination, code: error.code, err: error.message, attempt: job.attemptsMade + 1 }, 'duplicate check failed');
      throw error;
    }
  }

  return async function processDeliveryJob(job: DeliveryJob, token?: string): Promise<DeliveryReceipt | undefined> {
    if (job.name === CHECK_DUPLICATES_JOB) return checkDuplicates(job as Job<CheckDuplicatesJobV1>, token);
    return deliverLead(job as Job<DeliverLeadJob>, token);
  };
}
