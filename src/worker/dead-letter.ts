import type { Lead } from '../lead/lead';
import type { DeadLetterStore, RefetchNote } from '../queue/dead-letter-store';
import type { LeadLedger } from '../queue/lead-ledger';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';

export interface DeadLetterDeps {
  ledger: Pick<LeadLedger, 'recordFailure' | 'get'>;
  deadLetters: Pick<DeadLetterStore, 'claim' | 'add'>;
  metrics: Metrics;
  logger: Logger;
}

export interface DeadLetterRequest {
  lead: Lead;
  code: string;
  reason: string;
  /** The last request may have created the lead: a replay looks before adding. */
  unsure: boolean;
  refetch?: RefetchNote;
}

/**
 * The one way a lead enters the dead-letter queue. Several processes may see the same failure (each
 * worker's safety net hears every BullMQ `failed` event): the first to claim the lead records it and
 * counts it, the others do nothing. Resolves `true` once the lead is in the dead-letter queue (by this
 * call or an earlier one), `false` while another process holds the claim without having written it:
 * whoever must not lose the lead (the failed-job net) keeps its own copy until then.
 */
export async function deadLetterLead(deps: DeadLetterDeps, request: DeadLetterRequest): Promise<boolean> {
  const { lead, code, reason } = request;
  const claim = await deps.deadLetters.claim(lead.id);
  if (claim !== 'claimed') return claim === 'stored';
  await deps.ledger.recordFailure(lead.id, { outcome: 'dead', code, message: reason }, { status: 'dead', unsure: request.unsure });
  const record = await deps.ledger.get(lead.id);
  await deps.deadLetters.add({
    lead,
    reason,
    code,
    deadAt: new Date().toISOString(),
    attempts: record?.history ?? [],
    ...(request.refetch ? { refetch: request.refetch } : {}),
  });
  deps.metrics.deadLettered.inc({ destination: lead.destination, code: code || 'VALIDATION' });
  deps.metrics.activity.count('dead', { source: lead.source.kind, destination: lead.destination });
  deps.logger.warn({ leadId: lead.id, destination: lead.destination, code, reason }, 'lead dead-lettered');
  return true;
}
