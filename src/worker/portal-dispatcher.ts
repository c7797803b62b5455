import type { AddResult, Bitrix24Client, LeadToAdd } from '../crm/bitrix24/bitrix24-client';
import { DeliveryError, DestinationThrottledError, RetryableDeliveryError } from '../crm/delivery-errors';
import type { LeadFields } from '../lead/lead';
import type { RateLimiter } from './portal-rate-limiter';

export interface DispatchOutcome {
  bitrixLeadId: number;
  /** The lead was found already created by an earlier, ambiguous attempt. */
  reconciled: boolean;
}

export interface DispatchRequest {
  leadId: string;
  fields: LeadFields;
  /** An earlier attempt may have created the lead: look before adding. */
  reconcileFirst: boolean;
}

interface Pending extends DispatchRequest {
  resolve(outcome: DispatchOutcome): void;
  reject(error: DeliveryError | LeadReleasedError): void;
}

/**
 * The lead was handed back before any request carried it (the process is shutting down): it goes
 * back to the queue untouched, for this or another worker.
 */
export class LeadReleasedError extends Error {
  constructor() {
    super('released before sending: worker shutting down');
    this.name = 'LeadReleasedError';
  }
}

export interface PortalDispatcherOptions {
  client: Pick<Bitrix24Client, 'addLead' | 'addLeads' | 'findLeadsByOrigin'>;
  limiter: RateLimiter;
  /** Write-ahead marker: called before a request that may create these leads. */
  markUnsure(leadIds: string[]): Promise<void>;
  originatorId: string;
  maxBatchSize: number;
  /** Requests one process keeps in flight to one portal. */
  maxInFlight?: number;
  /** Longer waits than this hand the leads back to the queue instead of holding them in memory. */
  maxHoldMs?: number;
  onRequest?(method: 'crm.lead.add' | 'batch' | 'crm.lead.list', leads: number): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one portal's leads as fast as its leaky bucket allows and no faster. Leads wait here while
 * there is no request budget, so under load they pile up into `batch` calls of up to 50, and a lone
 * lead on an idle system goes out at once as a plain crm.lead.add. Each lead gets its own outcome.
 */
export class PortalDispatcher {
  private readonly toCheck: Pending[] = [];
  private readonly toAdd: Pending[] = [];
  private inFlight = 0;
  private pumping = false;
  private released = false;
  private readonly maxInFlight: number;
  private readonly maxHoldMs: number;

  constructor(private readonly options: PortalDispatcherOptions) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxHoldMs = options.maxHoldMs ?? 5000;
  }

  deliver(request: DispatchRequest): Promise<DispatchOutcome> {
    return new Promise<DispatchOutcome>((resolve, reject) => {
      if (this.released) {
        reject(new LeadReleasedError());
        return;
      }
      const pending: Pending = { ...request, resolve, reject };
      (request.reconcileFirst ? this.toCheck : this.toAdd).push(pending);
      if (!this.pumping) void this.pump();
    });
  }

  /** Shutdown: hands back every lead not yet sent; requests already in flight finish normally. */
  release(): void {
    this.released = true;
    for (const p of [...this.toCheck.splice(0), ...this.toAdd.splice(0)]) p.reject(new LeadReleasedError());
  }

  get pendingCount(): number {
    return this.toCheck.length + this.toAdd.length;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pendingCount > 0 && this.inFlight < this.maxInFlight) {
        let wait: number;
        try {
          wait = await this.options.limiter.acquire();
        } catch (err) {
          this.rejectAll(new RetryableDeliveryError(`rate limiter unavailable: ${(err as Error).message}`, { code: 'LIMITER_UNAVAILABLE', ambiguous: false }));
          break;
        }
        if (wait > 0) {
          if (wait > this.maxHoldMs) {
            this.rejectAll(new DestinationThrottledError(`destination paused for ${wait} ms`, { code: 'DESTINATION_PAUSED', retryAfterMs: wait }));
            break;
          }
          await sleep(Math.min(wait, 250));
          continue;
        }
        const work = this.toCheck.length > 0 ? this.send(this.take(this.toCheck, 50), 'check') : this.send(this.take(this.toAdd, this.options.maxBatchSize), 'add');
        this.inFlight += 1;
        void work.finally(() => {
          this.inFlight -= 1;
          if (!this.pumping && this.pendingCount > 0) void this.pump();
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  private take(list: Pending[], max: number): Pending[] {
    return list.splice(0, max);
  }

  private rejectAll(error: DeliveryError | LeadReleasedError): void {
    for (const p of [...this.toCheck.splice(0), ...this.toAdd.splice(0)]) p.reject(error);
  }

  private async send(batch: Pending[], kind: 'check' | 'add'): Promise<void> {
    try {
      if (kind === 'check') await this.reconcile(batch);
      else await this.add(batch);
    } catch (err) {
      const error = err instanceof DeliveryError ? err : new RetryableDeliveryError(`unexpected: ${(err as Error).message}`, { ambiguous: true });
      if (error instanceof DestinationThrottledError) await this.options.limiter.pause(error.retryAfterMs, { bucketFull: error.code === 'QUERY_LIMIT_EXCEEDED' }).catch(() => undefined);
      for (const p of batch) p.reject(error);
    }
  }

  /** One crm.lead.list over the whole group; leads not found join the queue to be added. */
  private async reconcile(batch: Pending[]): Promise<void> {
    this.options.onRequest?.('crm.lead.list', batch.length);
    const found = await this.options.client.findLeadsByOrigin(this.options.originatorId, batch.map((p) => p.leadId));
    const missing: Pending[] = [];
    for (const p of batch) {
      const id = found.get(p.leadId);
      if (id !== undefined) p.resolve({ bitrixLeadId: id, reconciled: true });
      else missing.push(p);
    }
    if (missing.length > 0) {
      this.toAdd.unshift(...missing);
      if (!this.pumping) void this.pump();
    }
  }

  private async add(batch: Pending[]): Promise<void> {
    await this.options.markUnsure(batch.map((p) => p.leadId)).catch((err: Error) => {
      throw new RetryableDeliveryError(`cannot record the attempt in Redis: ${err.message}`, { code: 'REDIS_UNAVAILABLE', ambiguous: false });
    });
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      this.options.onRequest?.('crm.lead.add', 1);
      const id = await this.options.client.addLead(only.fields);
      only.resolve({ bitrixLeadId: id, reconciled: false });
      return;
    }
    this.options.onRequest?.('batch', batch.length);
    const items: LeadToAdd[] = batch.map((p) => ({ key: p.leadId, fields: p.fields }));
    const results = await this.options.client.addLeads(items);
    for (const p of batch) {
      const result = results.get(p.leadId) as AddResult;
      if ('leadId' in result) p.resolve({ bitrixLeadId: result.leadId, reconciled: false });
      else p.reject(result.error);
    }
  }
}
