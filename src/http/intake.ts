import type { Lead } from '../lead/lead';
import type { LeadLedger } from '../queue/lead-ledger';
import { QueueUnavailableError, type LeadQueue } from '../queue/lead-queue';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { HttpError, queueUnavailable } from './http-error';

export interface Intake {
  metrics: Metrics;
  logger: Logger;
  /** Enqueues a normalised lead; resolves only once Redis holds it, else throws a 503 HttpError. */
  accept(lead: Lead): Promise<void>;
  /** Enqueues leads all or none (one atomic write per destination), else throws a 503 HttpError. */
  acceptMany(leads: Lead[]): Promise<void>;
}

function unavailable(deps: { logger: Logger }, leadIds: string[], err: QueueUnavailableError): HttpError {
  deps.logger.error({ leadIds, err: err.message }, 'cannot enqueue lead; answering 503');
  return queueUnavailable();
}

/** The one way every route hands a lead to the queue: durable first, acknowledged second. */
export function createIntake(deps: {
  queue: Pick<LeadQueue, 'enqueue' | 'enqueueMany'>;
  ledger: Pick<LeadLedger, 'recordQueued'>;
  metrics: Metrics;
  logger: Logger;
}): Intake {
  return {
    metrics: deps.metrics,
    logger: deps.logger,
    async accept(lead) {
      try {
        await deps.queue.enqueue(lead);
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw unavailable(deps, [lead.id], err);
        throw err;
      }
      await recorded(lead);
    },
    async acceptMany(leads) {
      if (leads.length === 0) return;
      try {
        await deps.queue.enqueueMany(leads);
      } catch (err) {
        if (err instanceof QueueUnavailableError) throw unavailable(deps, leads.map((l) => l.id), err);
        throw err;
      }
      for (const lead of leads) await recorded(lead);
    },
  };

  async function recorded(lead: Lead): Promise<void> {
    // The job is durable; a failed status write only costs GET /v1/leads/:id its early answer.
    await deps.ledger.recordQueued(lead).catch((err: Error) => deps.logger.warn({ leadId: lead.id, err: err.message }, 'cannot record lead status'));
    deps.metrics.queued.inc({ source: lead.source.kind, destination: lead.destination });
    deps.logger.info({ leadId: lead.id, source: `${lead.source.kind}:${lead.source.name}`, destination: lead.destination }, 'lead queued');
  }
}
