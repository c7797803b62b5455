import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { toBitrix24Fields } from '../crm/bitrix24/map-lead';
import {
  DeliveryError,
  DestinationThrottledError,
  DestinationUnavailableError,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from '../crm/delivery-errors';
import type { DeadLetterStore } from '../queue/dead-letter-store';
import type { DeliverLeadJob, DeliveryReceipt } from '../queue/jobs';
import type { LeadLedger } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { LeadReleasedError, type PortalDispatcher } from './portal-dispatcher';

export interface DeliveryProcessorDeps {
  destination: string;
  originatorId: string;
  dispatcher: Pick<PortalDispatcher, 'deliver'>;
  ledger: Pick<LeadLedger, 'isUnsure' | 'recordDelivered' | 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'add'>;
  metrics: Metrics;
  logger: Logger;
  /** Pauses this destination's queue for every worker (BullMQ's queue-wide rate limit). */
  rateLimit(ms: number): Promise<void>;
  /** Opens the destination's circuit breaker: its queue pauses with every lead kept. */
  pauseDestination(code: string, reason: string): Promise<void>;
}

/**
 * One job = one lead. Decides, from the typed error, whether the lead is delivered, retried,
 * paused with its destination (no attempt spent) or dead-lettered with its reason.
 */
export function createDeliveryProcessor(deps: DeliveryProcessorDeps) {
  const { destination, metrics, logger } = deps;

  async function deadLetter(job: Job<DeliverLeadJob>, error: DeliveryError, reason: string): Promise<void> {
    const lead = job.data.lead;
    await deps.ledger.recordFailure(lead.id, { outcome: 'dead', code: error.code, message: reason }, { status: 'dead', unsure: error instanceof RetryableDeliveryError && error.ambiguous });
    const record = await deps.ledger.get(lead.id);
    await deps.deadLetters.add({ lead, reason, code: error.code, deadAt: new Date().toISOString(), attempts: record?.history ?? [] });
    metrics.deadLettered.inc({ destination, code: error.code || 'VALIDATION' });
    logger.warn({ leadId: lead.id, destination, code: error.code, reason }, 'lead dead-lettered');
  }

  return async function deliverLead(job: Job<DeliverLeadJob>, token?: string): Promise<DeliveryReceipt> {
    const lead = job.data.lead;
    const reconcileFirst = await deps.ledger.isUnsure(lead.id);
    try {
      const outcome = await deps.dispatcher.deliver({
        leadId: lead.id,
        fields: toBitrix24Fields(lead, deps.originatorId),
        reconcileFirst,
      });
      await deps.ledger.recordDelivered(lead.id, outcome.bitrixLeadId, outcome.reconciled);
      metrics.delivered.inc({ destination, how: outcome.reconciled ? 'reconciled' : 'created' });
      metrics.latency.observe({ destination }, (Date.now() - Date.parse(lead.receivedAt)) / 1000);
      logger.info({ leadId: lead.id, destination, bitrixLeadId: outcome.bitrixLeadId, reconciled: outcome.reconciled }, 'lead delivered');
      return { bitrixLeadId: outcome.bitrixLeadId, reconciled: outcome.reconciled };
    } catch (err) {
      if (err instanceof LeadReleasedError) {
        // Not an attempt: nothing was sent. Back to the queue at once, without spending an attempt.
        await job.moveToDelayed(Date.now() + 100, token);
        throw new DelayedError();
      }
      const error = err instanceof DeliveryError ? err : new RetryableDeliveryError(`unexpected error: ${(err as Error).message}`, { ambiguous: true });

      if (error instanceof DestinationThrottledError) {
        await deps.ledger.recordFailure(lead.id, { outcome: 'throttled', code: error.code, message: error.message }, { status: job.attemptsMade > 0 ? 'retrying' : 'queued', unsure: reconcileFirst });
        metrics.throttled.inc({ destination, code: error.code });
        await deps.rateLimit(error.retryAfterMs);
        throw Worker.RateLimitError();
      }
      if (error instanceof DestinationUnavailableError) {
        // Every lead of this destination would fail alike: keep them all, pause, let a probe resume.
        await deps.pauseDestination(error.code, error.reason);
        await deps.ledger.recordFailure(lead.id, { outcome: 'paused', code: error.code, message: error.message }, { status: job.attemptsMade > 0 ? 'retrying' : 'queued', unsure: reconcileFirst });
        await deps.rateLimit(1000);
        throw Worker.RateLimitError();
      }
      if (error instanceof PermanentDeliveryError) {
        await deadLetter(job, error, error.message);
        throw new UnrecoverableError(error.message);
      }
      const retryable = error as RetryableDeliveryError;
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        await deadLetter(job, retryable, `gave up after ${attempts} attempts: ${retryable.message}`);
        throw new UnrecoverableError(retryable.message);
      }
      await deps.ledger.recordFailure(lead.id, { outcome: 'retry', code: retryable.code, message: retryable.message }, { status: 'retrying', unsure: retryable.ambiguous || reconcileFirst });
      metrics.retried.inc({ destination, code: retryable.code || 'UNKNOWN' });
      logger.info({ leadId: lead.id, destination, code: retryable.code, attempt: job.attemptsMade + 1 }, 'delivery failed, will retry');
      throw retryable;
    }
  };
}
