import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lead } from '../../lead/lead';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import { SpoolIndex } from './spool-index';
import { decodeRecords, encodeRecord, type RecordProblem, type SpoolEntry } from './spool-record';

/** The spool holds `maxBytes` already: the caller answers 503 as it did before there was a spool. */
export class SpoolFullError extends Error {
  constructor(maxBytes: number) {
    super(`the intake spool is full (intake.spool.maxBytes = ${maxBytes})`);
    this.name = 'SpoolFullError';
  }
}

export interface SpoolJournalOptions {
  directory: string;
  maxBytes: number;
  /** A segment is closed for appends at this size; the drainer deletes whole segments. */
  segmentBytes?: number;
  logger: Logger;
  metrics?: Pick<Metrics, 'spoolCorrupt'>;
}

export interface Segment {
  seq: number;
  path: string;
  bytes: number;
  sealed: boolean;
  /** Problems of a segment are reported once: on recovery, or when the drainer first reads it. */
  checked: boolean;
  /** Entries already in Redis: a pass cut short by Redis going away resumes after them. */
  drained: number;
}

interface Pending {
  record: Buffer;
  entry: SpoolEntry;
  resolve(): void;
  reject(err: Error): void;
}

const SEGMENT = /^segment-(\d{12})\.spool$/;
const segmentName = (seq: number): string => `segment-${String(seq).padStart(12, '0')}.spool`;

/**
 * The local append-only journal behind the intake spool: one file per segment, records checksummed,
 * every append fsynced before it resolves. Appends arriving while a write and fsync are under way go
 * together in the next one (group commit), so a burst costs a few fsyncs, not one per lead.
 * One process per directory: two writers would interleave their records.
 */
export class SpoolJournal {
  readonly index = new SpoolIndex();
  private readonly segments: Segment[] = [];
  private handle?: FileHandle;
  private pending: Pending[] = [];
  private lane: Promise<void> = Promise.resolve();
  private flushQueued = false;
  /** Bytes on disk plus bytes reserved by appends not yet written: what maxBytes bounds. */
  private reserved = 0;
  private readonly segmentBytes: number;
  /** Writes (each with its fsync) so far: the group-commit ratio is appends per flush. */
  flushes = 0;

  private constructor(private readonly options: SpoolJournalOptions) {
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  }

  /** Opens (creating) the directory and reads back whatever an earlier process left in it. */
  static async open(options: SpoolJournalOptions): Promise<SpoolJournal> {
    const journal = new SpoolJournal(options);
    await mkdir(options.directory, { recursive: true });
    await journal.recover();
    return journal;
  }

  get directory(): string {
    return this.options.directory;
  }

  get bytes(): number {
    return this.reserved;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /** Resolves once the entry is on disk (fsynced); rejects with SpoolFullError or the I/O error. */
  append(entry: SpoolEntry): Promise<void> {
    const record = encodeRecord(entry);
    if (this.reserved + record.length > this.options.maxBytes) return Promise.reject(new SpoolFullError(this.options.maxBytes));
    this.reserved += record.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, entry, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        this.lane = this.lane.then(() => this.flush());
      }
    });
  }

  /** Closes the segment being appended to, so the drainer may read and delete it. */
  seal(): Promise<void> {
    const sealed = this.lane.then(() => this.closeActive());
    this.lane = sealed.catch(() => undefined);
    return sealed;
  }

  /** Closed segments, oldest first: what the drainer works through. */
  sealedSegments(): Segment[] {
    return this.segments.filter((s) => s.sealed);
  }

  /** The entries of a sealed segment, in the order they were written; `damaged` if more than a torn tail was skipped. */
  async readSegment(segment: Segment): Promise<{ entries: SpoolEntry[]; damaged: boolean }> {
    const { entries, problems } = decodeRecords(await readFile(segment.path));
    if (!segment.checked) this.report(segment, problems);
    segment.checked = true;
    return { entries, damaged: problems.some((p) => p.kind !== 'torn') };
  }

  /**
   * Every entry of the segment is in Redis: the file goes. A segment with a damaged record that was
   * not merely a torn tail is kept beside the spool (`.corrupt`) for an operator to look at.
   */
  async removeSegment(segment: Segment, damaged: boolean): Promise<void> {
    if (damaged) await rename(segment.path, `${segment.path}.corrupt`);
    else await unlink(segment.path);
    this.segments.splice(this.segments.indexOf(segment), 1);
    this.reserved -= segment.bytes;
  }

  /**
   * Erasure (`leadgate forget`): every lead `about` matches is cut out of the journal. The segment being
   * written is sealed first; each segment holding such a lead is written anew without it (fsynced,
   * then renamed over the old file, so a crash leaves one or the other whole). The caller keeps the
   * drainer idle meanwhile. Returns the leads removed.
   */
  forgetLeads(about: (lead: Lead) => boolean): Promise<Lead[]> {
    const run = this.lane.then(async () => {
      await this.closeActive();
      const removed: Lead[] = [];
      for (const segment of this.sealedSegments()) removed.push(...(await this.cutFrom(segment, about)));
      return removed;
    });
    this.lane = run.then(() => undefined, () => undefined);
    return run;
  }

  private async cutFrom(segment: Segment, about: (lead: Lead) => boolean): Promise<Lead[]> {
    const { entries, damaged } = await this.readSegment(segment);
    const removed: Lead[] = [];
    const kept: SpoolEntry[] = [];
    let drained = 0;
    entries.forEach((entry, i) => {
      const gone = entry.kind === 'leads' ? entry.leads.filter(about) : [];
      if (gone.length === 0) {
        kept.push(entry);
        if (i < segment.drained) drained += 1;
        return;
      }
      removed.push(...gone);
      this.index.remove(entry);
      if (entry.kind !== 'leads') return;
      const goneIds = new Set(gone.map((l) => l.source.externalId).filter(Boolean));
      const leads = entry.leads.filter((l) => !about(l));
      if (leads.length === 0) return;
      const seen = entry.seen ? { ...entry.seen, ids: entry.seen.ids.filter((id) => !goneIds.has(id)) } : undefined;
      const rest: SpoolEntry = { v: 1, kind: 'leads', spooledAt: entry.spooledAt, leads, ...(seen && seen.ids.length > 0 ? { seen } : {}) };
      this.index.add(rest);
      kept.push(rest);
      if (i < segment.drained) drained += 1;
    });
    if (removed.length === 0) return removed;
    if (damaged) this.options.logger.error({ segment: segment.path }, 'intake spool: a forget rewrote a segment with damaged records; the damaged records were dropped with it');
    const data = Buffer.concat(kept.map(encodeRecord));
    const temporary = `${segment.path}.forget`;
    const handle = await open(temporary, 'w');
    try {
      await handle.write(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, segment.path);
    fsyncDirectory(this.options.directory);
    this.reserved += data.length - segment.bytes;
    segment.bytes = data.length;
    segment.drained = drained;
    return removed;
  }

  async close(): Promise<void> {
    await this.seal().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.flushQueued = false;
    this.flushes += 1;
    try {
      const active = await this.activeSegment();
      const data = Buffer.concat(batch.map((p) => p.record));
      await this.handle!.write(data);
      await this.handle!.datasync();
      active.bytes += data.length;
      for (const p of batch) this.index.add(p.entry);
      for (const p of batch) p.resolve();
      if (active.bytes >= this.segmentBytes) await this.closeActive();
    } catch (err) {
      // What reached the file may be a partial record; it stays unacknowledged, and the next write starts a new segment.
      for (const p of batch) this.reserved -= p.record.length;
      await this.closeActive().catch(() => undefined);
      for (const p of batch) p.reject(err as Error);
    }
  }

  private async activeSegment(): Promise<Segment> {
    const last = this.segments.at(-1);
    if (last && !last.sealed && this.handle) return last;
    const seq = (last?.seq ?? 0) + 1;
    const path = join(this.options.directory, segmentName(seq));
    this.handle = await open(path, 'wx');
    // The new file's directory entry must be durable too, or a crash could lose the whole segment.
    fsyncDirectory(this.options.directory);
    const segment: Segment = { seq, path, bytes: 0, sealed: false, checked: false, drained: 0 };
    this.segments.push(segment);
    return segment;
  }

  private async closeActive(): Promise<void> {
    const last = this.segments.at(-1);
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.close();
    if (last && !last.sealed) {
      last.sealed = true;
      // An empty segment holds nothing to drain.
      if (last.bytes === 0) await this.removeSegment(last, false);
    }
  }

  private async recover(): Promise<void> {
    const names = (await readdir(this.options.directory)).filter((n) => SEGMENT.test(n)).sort();
    for (const name of names) {
      const path = join(this.options.directory, name);
      const segment: Segment = { seq: Number(SEGMENT.exec(name)![1]), path, bytes: (await stat(path)).size, sealed: true, checked: false, drained: 0 };
      this.segments.push(segment);
      this.reserved += segment.bytes;
      for (const entry of (await this.readSegment(segment)).entries) this.index.add(entry);
    }
    if (this.index.leads > 0) {
      this.options.logger.warn({ directory: this.options.directory, leads: this.index.leads, segments: names.length }, 'intake spool holds leads from an earlier run; draining them into Redis');
    }
  }

  private report(segment: Segment, problems: RecordProblem[]): void {
    for (const problem of problems) {
      this.options.metrics?.spoolCorrupt.inc({ kind: problem.kind });
      // A torn tail is the write a crash cut short before its fsync: it was never acknowledged.
      const level = problem.kind === 'torn' ? 'warn' : 'error';
      this.options.logger[level]({ segment: segment.path, ...problem }, problem.kind === 'torn' ? 'intake spool: torn last record skipped (never acknowledged)' : 'intake spool: damaged record skipped');
    }
  }
}

function fsyncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
