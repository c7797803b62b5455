import { DELIVER_LEAD_JOB, deliverLeadJob } from './jobs';
import type { DeadLetterStore, DeadLetter } from './dead-letter-store';
import type { LeadLedger } from './lead-ledger';
import type { LeadQueue } from './lead-queue';
import type { LinkedInLeadQueue } from './linkedin-lead-queue';
import type { MetaLeadQueue } from './meta-lead-queue';

const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Operator actions on dead letters: replay puts a lead back with a fresh attempt budget and the same
 * ORIGIN_ID; a lead that died while being read from Meta is read again (after the token is fixed).
 */
export class DeadLetterQueue {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly queue: LeadQueue,
    private readonly ledger: LeadLedger,
    private readonly metaQueue?: Pick<MetaLeadQueue, 'requeue' | 'remove'>,
    private readonly linkedinQueue?: Pick<LinkedInLeadQueue, 'requeue' | 'discard'>,
  ) {}

  list(offset?: number, limit?: number): Promise<DeadLetter[]> {
    return this.store.list(offset, limit);
  }

  show(id: string): Promise<DeadLetter | undefined> {
    return this.store.get(id);
  }

  count(): Promise<number> {
    return this.store.count();
  }

  /** Returns false when no such dead letter exists. */
  async replay(id: string): Promise<boolean> {
    const entry = await this.store.get(id);
    if (!entry) return false;
    if (entry.refetch?.stage === 'fetch-linkedin') {
      if (!this.linkedinQueue) throw new Error(`dead letter ${id} must be read from LinkedIn again, but no LinkedIn queue is open`);
      await this.linkedinQueue.requeue(entry.refetch.job);
      await this.ledger.recordRequeued(id);
      await this.store.remove(id);
      return true;
    }
    if (entry.refetch) {
      if (!this.metaQueue) throw new Error(`dead letter ${id} must be read from Meta again, but no Meta queue is open`);
      await this.metaQueue.requeue(entry.refetch.job);
      await this.ledger.recordRequeued(id);
      await this.store.remove(id);
      return true;
    }
    const queue = this.queue.queueFor(entry.lead.destination);
    // The failed job still holds the id; BullMQ would ignore an add with the same id until it is gone.
    const old = await queue.getJob(id);
    // A replay that stopped after queueing the lead again (its process died before the dead letter
    // was removed) left it waiting: only the bookkeeping is left, the lead is not queued twice.
    if (old && WAITING.has(await old.getState())) {
      await this.ledger.recordRequeued(id);
      await this.store.remove(id);
      return true;
    }
    if (old) await old.remove();
    // Whatever the dead letter says, the lead may exist: a request that timed out can commit later,
    // and its status record (with the unsure mark) may have expired meanwhile. Replays look first.
    await queue.add(DELIVER_LEAD_JOB, deliverLeadJob(entry.lead, { reconcileFirst: true }), this.queue.jobOptions(entry.lead));
    await this.ledger.recordRequeued(id);
    await this.store.remove(id);
    return true;
  }

  async replayAll(): Promise<number> {
    let replayed = 0;
    for (const id of await this.store.ids()) if (await this.replay(id)) replayed += 1;
    return replayed;
  }

  async purge(): Promise<number> {
    const ids = await this.store.ids();
    for (const id of ids) await this.purgeOne(id);
    return ids.length;
  }

  /** Drops one dead letter and the failed job behind it; false when no such dead letter exists. */
  async purgeOne(id: string): Promise<boolean> {
    const entry = await this.store.get(id);
    if (entry?.refetch?.stage === 'fetch-linkedin') {
      await this.linkedinQueue?.discard(entry.refetch.job.notification.responseId);
    } else if (entry?.refetch) {
      await this.metaQueue?.remove(entry.refetch.job.notification.leadgenId);
    } else if (entry) {
      const old = await this.queue.queueFor(entry.lead.destination).getJob(id);
      if (old) await old.remove();
    }
    await this.store.remove(id);
    return entry !== undefined;
  }
}
