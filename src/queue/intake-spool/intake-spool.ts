import type { Lead } from '../../lead/lead';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import type { FetchMetaLeadJob } from '../jobs';
import type { FetchLinkedInLeadJob } from '../linkedin-lead-queue';
import { SpoolDrainer, type SpoolDrainerDeps } from './spool-drainer';
import type { SpooledLead } from './spool-index';
import { SpoolJournal } from './spool-journal';

export { SpoolFullError } from './spool-journal';
export type { SpooledLead } from './spool-index';

export interface SpoolStatus {
  directory: string;
  leads: number;
  oldestSeconds: number;
  bytes: number;
  maxBytes: number;
}

export interface IntakeSpoolOptions {
  directory: string;
  maxBytes: number;
  segmentBytes?: number;
  drainIntervalMs?: number;
}

/**
 * What the API does with a lead when Redis cannot take it in time: writes it to a local journal
 * (fsynced before the 202) and queues it once Redis answers. One per API process and directory.
 */
export class IntakeSpool {
  private spooling = false;
  private since = 0;
  private spooledSince = 0;

  private constructor(
    private readonly journal: SpoolJournal,
    private readonly drainer: SpoolDrainer,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Opens the journal, recovers what an earlier process left and starts draining it. */
  static async open(options: IntakeSpoolOptions, deps: Omit<SpoolDrainerDeps, 'journal' | 'intervalMs'>): Promise<IntakeSpool> {
    const journal = await SpoolJournal.open({ directory: options.directory, maxBytes: options.maxBytes, segmentBytes: options.segmentBytes, logger: deps.logger, metrics: deps.metrics });
    const drainer = new SpoolDrainer({ ...deps, journal, intervalMs: options.drainIntervalMs });
    const spool = new IntakeSpool(journal, drainer, deps.metrics, deps.logger);
    if (journal.index.leads > 0) spool.started();
    deps.metrics.observeSpool(() => spool.status());
    drainer.start();
    drainer.onPass = () => spool.endedIfEmpty();
    return spool;
  }

  /** Resolves once the leads are on disk; rejects with SpoolFullError (503) or the I/O error. */
  async spoolLeads(leads: Lead[], seen?: { source: string; ids: string[] }): Promise<void> {
    await this.journal.append({ v: 1, kind: 'leads', spooledAt: new Date().toISOString(), leads, ...(seen ? { seen } : {}) });
    for (const lead of leads) this.metrics.spooled.inc({ source: lead.source.kind });
    this.spooledNow(leads.length);
  }

  async spoolMetaJobs(jobs: FetchMetaLeadJob[]): Promise<void> {
    await this.journal.append({ v: 1, kind: 'meta', spooledAt: new Date().toISOString(), jobs });
    this.metrics.spooled.inc({ source: 'meta' }, jobs.length);
    this.spooledNow(jobs.length);
  }

  async spoolLinkedInJobs(jobs: FetchLinkedInLeadJob[]): Promise<void> {
    await this.journal.append({ v: 1, kind: 'linkedin', spooledAt: new Date().toISOString(), jobs });
    this.metrics.spooled.inc({ source: 'linkedin' }, jobs.length);
    this.spooledNow(jobs.length);
  }

  /** Erasure: cuts every lead `about` matches out of the journal (nothing drains meanwhile); returns them. */
  forget(about: (lead: Lead) => boolean): Promise<Lead[]> {
    return this.drainer.whileIdle(() => this.journal.forgetLeads(about));
  }

  find(id: string): SpooledLead | undefined {
    return this.journal.index.find(id);
  }

  status(): SpoolStatus {
    return { directory: this.journal.directory, leads: this.journal.index.leads, oldestSeconds: this.journal.index.oldestSeconds(), bytes: this.journal.bytes, maxBytes: this.journal.maxBytes };
  }

  /** Drains once now (tests, shutdown); the background timer does the same every drainIntervalMs. */
  drain(): Promise<void> {
    return this.drainer.drain();
  }

  async close(): Promise<void> {
    await this.drainer.stop();
    await this.journal.close();
  }

  private spooledNow(count: number): void {
    this.spooledSince += count;
    if (!this.spooling) this.started();
  }

  private started(): void {
    this.spooling = true;
    this.since = Date.now();
    this.logger.warn({ directory: this.journal.directory, held: this.journal.index.leads }, 'intake spool: Redis cannot take leads; spooling them to disk');
  }

  private endedIfEmpty(): void {
    if (!this.spooling || this.journal.index.leads > 0 || this.journal.sealedSegments().length > 0) return;
    this.spooling = false;
    this.logger.warn({ spooled: this.spooledSince, seconds: Math.round((Date.now() - this.since) / 1000) }, 'intake spool: drained; leads go straight to Redis again');
    this.spooledSince = 0;
  }
}
