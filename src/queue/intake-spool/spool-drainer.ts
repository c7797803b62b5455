import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import type { ErasureMarkers } from '../erasure-markers';
import type { IntakeWrite } from '../intake-write';
import { QueueUnavailableError } from '../lead-queue';
import type { LinkedInLeadQueue } from '../linkedin-lead-queue';
import type { MetaLeadQueue } from '../meta-lead-queue';
import type { SeenIds } from '../seen-ids';
import type { SpoolJournal } from './spool-journal';
import type { SpoolEntry } from './spool-record';

export interface SpoolDrainerDeps {
  journal: SpoolJournal;
  /** Jobs with their status records, as the routes would have written them had Redis answered. */
  queue: Pick<IntakeWrite, 'enqueueMany'>;
  metaQueue: Pick<MetaLeadQueue, 'enqueueAll'>;
  /** Present with sources.linkedin; a LinkedIn entry spooled under another config waits until it is back. */
  linkedinQueue?: Pick<LinkedInLeadQueue, 'enqueue'>;
  seen: Pick<SeenIds, 'remember'>;
  /** Erasures (`forget`) run elsewhere while a lead waited here: such a lead is dropped, not queued. */
  erased?: Pick<ErasureMarkers, 'erasedAmong'>;
  /** Answers when Redis does: only then is the segment being written closed for draining. */
  ping(): Promise<unknown>;
  metrics: Metrics;
  logger: Logger;
  intervalMs?: number;
  /** Entries per Redis round trip: small, so live intake is never queued behind a long drain. */
  batchEntries?: number;
}

/**
 * Moves spooled entries into their queues, oldest first, as soon as Redis answers: under the same
 * lead id and job id they were answered with, so an entry whose write had in fact landed (Redis slow,
 * not down), or that is drained again after a crash, is the same job and never a second lead.
 */
export class SpoolDrainer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private held = 0;
  /** Called after every pass: the spool logs when it has become empty. */
  onPass?: () => void;

  constructor(private readonly deps: SpoolDrainerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.drain(), this.deps.intervalMs ?? 500);
    this.timer.unref();
    void this.drain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs `work` with no pass under way and none starting (a forget rewriting the journal). */
  async whileIdle<T>(work: () => Promise<T>): Promise<T> {
    this.held += 1;
    try {
      await this.running;
      return await work();
    } finally {
      this.held -= 1;
    }
  }

  /** One pass; a pass already under way is joined, not doubled. Resolves when the pass ends. */
  drain(): Promise<void> {
    if (this.held > 0) return Promise.resolve();
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
      this.onPass?.();
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { journal, logger } = this.deps;
    if (journal.index.leads === 0 && journal.sealedSegments().length === 0) return;
    try {
      await this.deps.ping();
      await journal.seal();
      for (const segment of journal.sealedSegments()) {
        const { entries, damaged } = await journal.readSegment(segment);
        const size = this.deps.batchEntries ?? 20;
        while (segment.drained < entries.length) {
          if (this.stopped) return;
          const batch = entries.slice(segment.drained, segment.drained + size);
          await this.enqueue(batch);
          segment.drained += batch.length;
          // Let requests in: a long backlog drains between them, not instead of them.
          await new Promise((resolve) => setImmediate(resolve));
        }
        await journal.removeSegment(segment, damaged);
      }
    } catch (err) {
      // Redis still away: the next tick tries again. Anything else is worth a line.
      if (!(err instanceof QueueUnavailableError)) logger.debug({ err: (err as Error).message }, 'intake spool: drain paused');
    }
  }

  private async enqueue(entries: SpoolEntry[]): Promise<void> {
    const { journal, metrics, logger } = this.deps;
    const spooled = entries.flatMap((e) => (e.kind === 'leads' ? e.leads : []));
    const erased = spooled.length > 0 && this.deps.erased ? await this.deps.erased.erasedAmong(spooled) : new Set<string>();
    const leads = spooled.filter((lead) => !erased.has(lead.id));
    const jobs = entries.flatMap((e) => (e.kind === 'meta' ? e.jobs : []));
    const linkedin = entries.flatMap((e) => (e.kind === 'linkedin' ? e.jobs : []));
    if (linkedin.length > 0 && !this.deps.linkedinQueue) throw new Error('spooled LinkedIn notifications, but sources.linkedin is not configured: they wait in the spool');
    if (leads.length > 0) await this.deps.queue.enqueueMany(leads);
    if (jobs.length > 0) await this.deps.metaQueue.enqueueAll(jobs);
    // Each under its response's job id: one drained again after a crash is the same job.
    for (const job of linkedin) await this.deps.linkedinQueue!.enqueue(job);
    if (erased.size > 0) {
      metrics.spoolErased.inc(erased.size);
      logger.info({ leadIds: [...erased] }, 'spooled leads dropped: their person was erased (forget) while they waited');
    }
    // The jobs are durable; what follows only restores what the routes would have written had Redis answered.
    const remember = [
      ...entries.flatMap((e) => (e.kind === 'leads' && e.seen && e.leads.some((l) => !erased.has(l.id)) ? [e.seen] : [])),
      ...(jobs.length > 0 ? [{ source: 'meta', ids: jobs.map((j) => j.notification.leadgenId) }] : []),
      ...(linkedin.length > 0 ? [{ source: 'linkedin', ids: linkedin.map((j) => j.notification.responseId) }] : []),
    ];
    await Promise.all(remember.map((r) => this.deps.seen.remember(r.source, r.ids))).catch((err: Error) => logger.warn({ err: err.message }, 'cannot remember platform ids of drained leads'));
    for (const lead of leads) metrics.queued.inc({ source: lead.source.kind, destination: lead.destination });
    for (const entry of entries) journal.index.remove(entry);
    metrics.spoolDrained.inc(leads.length + jobs.length + linkedin.length);
    logger.info({ leadIds: [...leads.map((l) => l.id), ...jobs.map((j) => j.leadId), ...linkedin.map((j) => j.leadId)] }, 'spooled leads queued');
  }
}
