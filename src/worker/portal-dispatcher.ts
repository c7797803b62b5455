import type { CreatedEntity, CrmWriter } from '../clients/bitrix24/crm-writer';
import { DeliveryError, DestinationThrottledError, QueryLimitExceededError, RetryableDeliveryError } from '../clients/delivery-errors';
import type { LeadFields } from '../lead/lead';
import type { RateLimiter } from './portal-rate-limiter';

export interface DispatchOutcome {
  /** The lead's id in Bitrix24, or the deal's on an `entity: deal` destination. */
  bitrixLeadId: number;
  /** The deal's contact (`entity: deal`). */
  contactId?: number;
  /** The lead was found already created by an earlier, ambiguous attempt. */
  reconciled: boolean;
  /** The lookup found more than one lead for this ORIGIN_ID: a duplicate check must follow. */
  duplicatesSeen?: boolean;
}

export interface DispatchRequest {
  leadId: string;
  fields: LeadFields;
  /** An earlier attempt may have created the lead: look before adding. */
  reconcileFirst: boolean;
}

/** What a duplicate check found: the lead kept (the first one created) and the later copies removed. */
export interface DuplicateCheck {
  keptId?: number;
  keptContactId?: number;
  removedIds: number[];
}

type Lookup =
  | { kind: 'reconcile'; request: DispatchRequest; resolve(o: DispatchOutcome): void; reject(e: DeliveryError | LeadReleasedError): void }
  | { kind: 'verify'; leadId: string; resolve(c: DuplicateCheck): void; reject(e: DeliveryError | LeadReleasedError): void };

interface PendingAdd extends DispatchRequest {
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
  /** Creates, finds and removes what each lead becomes on this destination (a lead, or a contact + deal). */
  writer: CrmWriter;
  limiter: RateLimiter;
  /** Write-ahead marker: called before a request that may create these leads. */
  markUnsure(leadIds: string[]): Promise<void>;
  originatorId: string;
  maxBatchSize: number;
  /** Requests one process keeps in flight to one portal. */
  maxInFlight?: number;
  /** Longer waits than this hand the leads back to the queue instead of holding them in memory. */
  maxHoldMs?: number;
  /**
   * The most leads the worker hands this dispatcher at once (its queue concurrency): once they are
   * all here, no more can arrive before a request finishes, so a part-full batch goes at once.
   */
  holdLimit?: number;
  /**
   * Under load a part-full batch waits up to this long for more leads (default: the bucket's drain
   * step, the time the next request has to wait anyway). An idle system sends a lone lead at once.
   */
  fillWaitMs?: number;
  onRequest?(method: string, leads: number): void;
}

const outcomeOf = (created: CreatedEntity): Omit<DispatchOutcome, 'reconciled'> => ({
  bitrixLeadId: created.id,
  ...(created.contactId !== undefined ? { contactId: created.contactId } : {}),
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MAX_LOOKUP = 50;
/** While probing, how often a single request looks whether the probe has been answered. */
const PROBE_POLL_MS = 20;
/** No lead for this long: the queue has none ready, so a part-full batch stops waiting for more. */
const ARRIVAL_GAP_MS = 25;
/**
 * A full batch (or a single request) answered this recently and leads arriving now: they are the
 * same stream (their jobs were being taken while the last request was out), not the first after a lull.
 */
const STREAM_GAP_MS = 1000;

/**
 * Sends one portal's leads as fast as its leaky bucket allows and no faster. Leads wait here while
 * there is no request budget, so under load they pile up into `batch` calls of up to 50, and a lone
 * lead on an idle system goes out at once as a plain crm.lead.add. Lookups (is this unsure lead
 * already there? did a late commit double it?) go first and share one crm.lead.list per 50 leads.
 */
export class PortalDispatcher {
  private readonly lookups: Lookup[] = [];
  private readonly toAdd: PendingAdd[] = [];
  private inFlight = 0;
  private pumping = false;
  private released = false;
  private readonly maxInFlight: number;
  private readonly maxHoldMs: number;
  private readonly holdLimit: number;
  private readonly fillWaitMs: number;
  /** Leads carried by requests in flight. */
  private inFlightLeads = 0;
  /** Leads taken from the queue and not handed over yet (announce()). */
  private announced = 0;
  private lastArrivalAt = 0;
  private lastSentAt = 0;
  /** Since the last request went out, the budget was not there at once: the portal is the bottleneck. */
  private waitedForBudget = false;
  /** When a part-full batch started waiting for more leads. */
  private fillSince: number | undefined;
  private fillTimer: NodeJS.Timeout | undefined;
  /** QUERY_LIMIT_EXCEEDED answers in a row: each doubles the wait after the first one drain step. */
  private refusalStreak = 0;
  private lastRefusalAt = 0;
  /**
   * Until a request is answered without a refusal (at start, and again after a refusal), one request
   * at a time: a second one sent before the first's answer would meet the same full bucket.
   */
  private probing = true;
  /** Leads arrived with nothing waiting or in flight here: the next request is the first after a lull. */
  private afterLull = false;
  /** When the last request was answered, and whether it left leads behind it (a full batch, a single request). */
  private lastAnswer: { at: number; streaming: boolean } | undefined;
  /** Single requests (send) out or waiting for budget. */
  private sendsOut = 0;
  /** Aborted at a forced shutdown: requests still in flight are abandoned (their leads stay marked unsure). */
  private readonly abandon = new AbortController();

  constructor(private readonly options: PortalDispatcherOptions) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxHoldMs = options.maxHoldMs ?? 5000;
    this.holdLimit = options.holdLimit ?? Infinity;
    this.fillWaitMs = options.fillWaitMs ?? options.limiter.drainStepMs;
  }

  deliver(request: DispatchRequest): Promise<DispatchOutcome> {
    return this.enqueue<DispatchOutcome>((resolve, reject) => {
      this.lastArrivalAt = Date.now();
      if (request.reconcileFirst) this.lookups.push({ kind: 'reconcile', request, resolve, reject });
      else this.toAdd.push({ ...request, resolve, reject });
    });
  }

  /**
   * A lead of this destination was taken from the queue and will be handed to deliver() soon (or not,
   * if it turns out delivered already): a part-full batch waits for it, at most one fill window. Call
   * the returned function once deliver() has it, or when it will not get it (idempotent).
   */
  announce(): () => void {
    this.announced += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.announced -= 1;
      // A part-full batch may have been waiting for this lead only.
      if (this.announced === 0 && !this.pumping && this.pendingCount > 0) void this.pump();
    };
  }

  /** Looks up every lead with this ORIGIN_ID and deletes all but the first one created. */
  checkDuplicates(leadId: string): Promise<DuplicateCheck> {
    return this.enqueue<DuplicateCheck>((resolve, reject) => this.lookups.push({ kind: 'verify', leadId, resolve, reject }));
  }

  private enqueue<T>(add: (resolve: (v: T) => void, reject: (e: DeliveryError | LeadReleasedError) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.released) {
        reject(new LeadReleasedError());
        return;
      }
      if (this.pendingCount === 0 && this.requestsOut === 0 && !this.streamGoesOn()) this.afterLull = true;
      add(resolve, reject);
      if (!this.pumping) void this.pump();
    });
  }

  /**
   * One request beside the adds (a CRM lookup or comment), drawn from the same budget and aborted at
   * a forced shutdown like the others; waiting for budget here does not hold a place in the queue.
   */
  async send<T>(method: string, call: (signal: AbortSignal) => Promise<T>, options: { refusedOnce?: 'throw' } = {}): Promise<T> {
    for (;;) {
      if (this.released) throw new LeadReleasedError();
      if (this.probing && this.requestsOut > 0) {
        await sleep(PROBE_POLL_MS);
        continue;
      }
      this.sendsOut += 1;
      try {
        if ((await this.waitForBudget()) > 0) continue;
        this.options.onRequest?.(method, 1);
        try {
          const result = await call(this.abandon.signal);
          this.answered();
          return result;
        } catch (err) {
          // Refused before it ran: the same request again once the bucket has room duplicates nothing.
          if (!(err instanceof QueryLimitExceededError)) {
            this.overlapAgain();
            throw err;
          }
          const wait = await this.noteRefusal();
          // The caller only wanted it if the budget was there (the mirror has learnt the bucket is full).
          if (options.refusedOnce === 'throw' || wait > this.maxHoldMs) throw this.throttled(err, wait);
        }
      } finally {
        this.sendsOut -= 1;
        if (!this.pumping && this.pendingCount > 0) void this.pump();
      }
    }
  }

  /** Requests out or waiting for budget (adds, lookups, single requests): while probing, only one. */
  private get requestsOut(): number {
    return this.inFlight + this.sendsOut;
  }

  /** Shutdown: hands back every lead not yet sent; requests already in flight finish normally. */
  release(): void {
    this.released = true;
    clearTimeout(this.fillTimer);
    this.rejectAll(new LeadReleasedError());
  }

  /** Forced shutdown: requests in flight are aborted now and fail as ambiguous (a later attempt looks first). */
  abandonInFlight(): void {
    this.release();
    this.abandon.abort();
  }

  /** Nothing waits here or is out: a request now would take budget no lead of this process needs. */
  get idle(): boolean {
    return this.pendingCount === 0 && this.requestsOut === 0;
  }

  /** Shutting down: nothing more is sent. */
  get stopped(): boolean {
    return this.released;
  }

  get pendingCount(): number {
    return this.lookups.length + this.toAdd.length;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pendingCount > 0 && (this.probing ? this.requestsOut < 1 : this.inFlight < this.maxInFlight)) {
        const fillFor = this.lookups.length === 0 ? this.fillDelayMs() : 0;
        if (fillFor > 0) {
          if (!this.fillTimer) {
            this.fillTimer = setTimeout(() => {
              this.fillTimer = undefined;
              if (!this.pumping) void this.pump();
            }, fillFor);
            this.fillTimer.unref();
          }
          break;
        }
        let wait: number;
        // The slot is held while waiting for budget, so no single request overtakes a probe.
        this.inFlight += 1;
        try {
          wait = await this.waitForBudget();
        } catch (err) {
          this.rejectAll(err as DeliveryError);
          break;
        } finally {
          this.inFlight -= 1;
        }
        if (wait > 0) {
          this.waitedForBudget = true;
          continue;
        }
        // Released while we waited for budget: sending now would spend a request on nothing.
        if (this.pendingCount === 0) break;
        const work = this.lookups.length > 0 ? this.lookup(this.lookups.splice(0, MAX_LOOKUP)) : this.add(this.toAdd.splice(0, this.perRequest));
        this.lastSentAt = Date.now();
        this.waitedForBudget = false;
        this.fillSince = undefined;
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

  /**
   * How long a part-full batch should still wait for leads (0: send now). Waiting spends nothing:
   * the bucket keeps draining meanwhile, and the budget saved goes out with the next full batches.
   * It waits only under load (a request went out within the last fill window, or the budget was not
   * there at once), while leads keep arriving and more can arrive, and at most one fill window.
   * An idle system's lone lead goes at once.
   */
  private fillDelayMs(): number {
    const pending = this.toAdd.length;
    if (pending === 0 || pending >= this.perRequest) return 0;
    // The first request after a lull on a busy portal waits one drain step anyway, and the leads that
    // arrive meanwhile go with it: holding it back first would only add to that step.
    if (this.afterLull && this.options.limiter.busy) return 0;
    const now = Date.now();
    // Leads already taken from the queue are on their way here (their state is being read): the batch
    // waits for them, at most one fill window, instead of leaving part-full (at a worker's start the
    // jobs reach the dispatcher in bursts as they are taken, and a first request of 9 leads was seen
    // to spend a whole drain step).
    const onTheWay = this.announced > 0;
    if (!onTheWay && !this.waitedForBudget && now - this.lastSentAt >= this.fillWaitMs) return 0;
    if (pending + this.inFlightLeads >= this.holdLimit) return 0;
    this.fillSince ??= now;
    const dueIn = this.fillWaitMs - (now - this.fillSince);
    if (onTheWay) return Math.max(0, dueIn);
    const streamPausedIn = ARRIVAL_GAP_MS - (now - this.lastArrivalAt);
    return Math.max(0, Math.min(streamPausedIn, dueIn));
  }

  /** Leads one add request carries: the batch size, or fewer when the writer packs several commands per lead. */
  private get perRequest(): number {
    return Math.min(this.options.maxBatchSize, this.options.writer.leadsPerRequest);
  }

  /**
   * Nothing is waiting or out here, but the last request answered was a full batch or a single
   * request (a CRM mode read, a lookup) within STREAM_GAP_MS: the leads arriving now were on their way
   * (jobs being completed and taken on a loaded worker), so the portal's bucket is where the mirror
   * says. Raising the mirror to full as after a lull would throw away budget the stream is owed
   * (one drain step each time, ~2.5% of a 20 s run on a standard portal). A part-full batch or a lone
   * lead means the queue had drained: what follows is the first request after a lull.
   */
  private streamGoesOn(): boolean {
    return this.lastAnswer !== undefined && this.lastAnswer.streaming && Date.now() - this.lastAnswer.at < STREAM_GAP_MS;
  }

  /** A request was answered (not refused for the rate limit): the streak ends, and requests may overlap again. */
  private answered(streaming = true): void {
    this.lastAnswer = { at: Date.now(), streaming };
    this.refusalStreak = 0;
    this.overlapAgain();
  }

  /** A request ended other than refused for the rate limit: the bucket let it through. */
  private overlapAgain(): void {
    if (!this.probing) return;
    this.probing = false;
    if (!this.pumping && this.pendingCount > 0) void this.pump();
  }

  /** Records a QUERY_LIMIT_EXCEEDED answer in the mirror; returns the wait before the next request. */
  private async noteRefusal(): Promise<number> {
    const step = this.options.limiter.drainStepMs;
    // Requests sent together and refused together are one refusal, not a streak.
    if (this.refusalStreak === 0 || Date.now() - this.lastRefusalAt >= step) this.refusalStreak += 1;
    this.lastRefusalAt = Date.now();
    this.probing = true;
    // The first refusal waits exactly one drain step; more in a row mean someone else is using the
    // portal too, so back off (1, 2, 4, … steps) until the wait is too long to hold the leads.
    const extra = step * (2 ** Math.min(this.refusalStreak - 1, 10) - 1);
    try {
      return await this.options.limiter.refused(extra);
    } catch {
      return step + extra;
    }
  }

  private throttled(err: QueryLimitExceededError, waitMs: number): QueryLimitExceededError {
    return new QueryLimitExceededError(err.message, { code: err.code, ...(err.status !== undefined ? { status: err.status } : {}), retryAfterMs: waitMs });
  }

  /**
   * After a refusal the request's leads stay here for the next request (true), unless the wait is
   * too long to hold them or the process is shutting down: then they are failed or handed back.
   */
  private async keepAfterRefusal(items: Array<{ reject(e: DeliveryError | LeadReleasedError): void }>, err: QueryLimitExceededError): Promise<boolean> {
    const wait = await this.noteRefusal();
    if (this.released) {
      for (const p of items) p.reject(new LeadReleasedError());
      return false;
    }
    if (wait <= this.maxHoldMs) return true;
    const error = this.throttled(err, wait);
    for (const p of items) p.reject(error);
    return false;
  }

  /** 0 once a request may be sent; otherwise sleeps a little and returns how long the bucket asked to wait. */
  private async waitForBudget(): Promise<number> {
    let wait: number;
    const afterLull = this.afterLull;
    this.afterLull = false;
    try {
      wait = await this.options.limiter.acquire({ afterLull });
    } catch (err) {
      throw new RetryableDeliveryError(`rate limiter unavailable: ${(err as Error).message}`, { code: 'LIMITER_UNAVAILABLE', ambiguous: false });
    }
    if (wait > this.maxHoldMs) throw new DestinationThrottledError(`destination paused for ${wait} ms`, { code: 'DESTINATION_PAUSED', retryAfterMs: wait });
    if (wait > 0) await sleep(Math.min(wait, 250));
    return wait;
  }

  private rejectAll(error: DeliveryError | LeadReleasedError): void {
    for (const p of this.lookups.splice(0)) p.reject(error);
    for (const p of this.toAdd.splice(0)) p.reject(error);
  }

  /** A whole request failed: every lead it carried gets the same error; a throttle pauses the bucket. */
  private async failAll(items: Array<{ reject(e: DeliveryError): void }>, err: unknown): Promise<void> {
    const error = err instanceof DeliveryError ? err : new RetryableDeliveryError(`unexpected: ${(err as Error).message}`, { ambiguous: true });
    // A QUERY_LIMIT_EXCEEDED refusal has already set the mirror (noteRefusal); other throttles pause it.
    if (error instanceof DestinationThrottledError && !(error instanceof QueryLimitExceededError)) await this.options.limiter.pause(error.retryAfterMs).catch(() => undefined);
    for (const p of items) p.reject(error);
  }

  /** One look-up by ORIGIN_ID over the group; unsure leads not found join the leads to add. */
  private async lookup(group: Lookup[]): Promise<void> {
    let found: Awaited<ReturnType<CrmWriter['findByOrigin']>>;
    this.inFlightLeads += group.length;
    try {
      this.options.onRequest?.(this.options.writer.listMethod, group.length);
      const ids = [...new Set(group.map((l) => (l.kind === 'reconcile' ? l.request.leadId : l.leadId)))];
      found = await this.options.writer.findByOrigin(this.options.originatorId, ids, this.abandon.signal);
      this.answered();
    } catch (err) {
      if (!(err instanceof QueryLimitExceededError)) this.overlapAgain();
      if (err instanceof QueryLimitExceededError && (await this.keepAfterRefusal(group, err))) this.requeue(() => this.lookups.unshift(...group));
      else await this.failAll(group, err);
      return;
    } finally {
      this.inFlightLeads -= group.length;
    }
    const missing: PendingAdd[] = [];
    for (const item of group) {
      if (item.kind === 'reconcile') {
        const match = found.get(item.request.leadId);
        const [first] = match?.created ?? [];
        if (first) item.resolve({ ...outcomeOf(first), reconciled: true, duplicatesSeen: match!.created.length > 1 });
        // Part of an earlier attempt exists (a deal's contact): the add uses it.
        else missing.push({ ...item.request, fields: { ...item.request.fields, ...match?.reuse }, resolve: item.resolve, reject: item.reject });
      } else {
        void this.removeLaterCopies(found.get(item.leadId)?.created ?? []).then(item.resolve, (err: unknown) => this.failAll([item], err));
      }
    }
    if (missing.length > 0) this.requeue(() => this.toAdd.unshift(...missing));
  }

  /** Puts work back at the head of its line (it was there first) and makes sure the pump runs. */
  private requeue(putBack: () => void): void {
    putBack();
    if (!this.pumping) void this.pump();
  }

  /** Keeps the first one created for an ORIGIN_ID and deletes the rest, one budgeted request each. */
  private async removeLaterCopies(copies: CreatedEntity[]): Promise<DuplicateCheck> {
    const [kept, ...later] = copies;
    const removedIds: number[] = [];
    for (const copy of later) {
      while ((await this.waitForBudget()) > 0);
      this.options.onRequest?.(this.options.writer.deleteMethod, 1);
      await this.options.writer.removeCopy(copy, kept!, this.abandon.signal);
      removedIds.push(copy.id);
    }
    if (!kept) return { removedIds };
    return { keptId: kept.id, ...(kept.contactId !== undefined ? { keptContactId: kept.contactId } : {}), removedIds };
  }

  private async add(batch: PendingAdd[]): Promise<void> {
    if (batch.length === 0) return;
    this.inFlightLeads += batch.length;
    try {
      await this.options.markUnsure(batch.map((p) => p.leadId)).catch((err: Error) => {
        throw new RetryableDeliveryError(`cannot record the attempt in Redis: ${err.message}`, { code: 'REDIS_UNAVAILABLE', ambiguous: false });
      });
      const { writer } = this.options;
      this.options.onRequest?.(writer.addMethod(batch.length), batch.length);
      const results = await writer.add(batch.map((p) => ({ key: p.leadId, fields: p.fields })), this.abandon.signal);
      this.answered(batch.length >= this.perRequest);
      const notRun: PendingAdd[] = [];
      for (const p of batch) {
        const result = results.get(p.leadId);
        if (!result) p.reject(new RetryableDeliveryError('no result for this lead in the answer', { code: 'ERROR_UNEXPECTED_ANSWER', ambiguous: true }));
        else if ('created' in result) p.resolve({ ...outcomeOf(result.created), reconciled: false });
        else if ('notRun' in result) notRun.push(p);
        else p.reject(result.error);
      }
      // A halted batch stopped before these: nothing of them ran, so they go out with the next request.
      if (notRun.length > 0) {
        this.toAdd.unshift(...notRun);
        if (!this.pumping) void this.pump();
      }
    } catch (err) {
      // Refused before anything ran: the same leads go in the next request, after one drain step.
      if (!(err instanceof QueryLimitExceededError)) this.overlapAgain();
      if (err instanceof QueryLimitExceededError && (await this.keepAfterRefusal(batch, err))) this.requeue(() => this.toAdd.unshift(...batch));
      else await this.failAll(batch, err);
    } finally {
      this.inFlightLeads -= batch.length;
    }
  }
}
