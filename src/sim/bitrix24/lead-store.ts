/**
 * In-memory lead table. IDs are looked up in O(1) and ORIGIN_ID is indexed because the
 * gateway's reconcile step (`@ORIGIN_ID` IN filter) runs against thousands of leads in benchmarks.
 */
import { materializeLead, type LeadDraft, type LeadRecord } from './lead-record';

export interface StoredLead {
  id: number;
  record: LeadRecord;
  createdAt: string;
}

export class LeadStore {
  private readonly byId = new Map<number, StoredLead>();
  /** Keyed lower-case: the list filter compares strings case-insensitively. */
  private readonly byOriginId = new Map<string, Set<number>>();
  private readonly customFields = new Set<string>();
  private nextId = 1;
  private nextMultifieldId = 1;

  add(draft: LeadDraft, userId: number, nowMs: number): StoredLead {
    const id = this.nextId++;
    const record = materializeLead(draft, {
      id,
      userId,
      nowMs,
      nextMultifieldId: () => this.nextMultifieldId++,
    });
    const lead: StoredLead = { id, record, createdAt: new Date(nowMs).toISOString() };
    this.byId.set(id, lead);
    const origin = record.ORIGIN_ID;
    if (typeof origin === 'string' && origin !== '') {
      const key = origin.toLowerCase();
      const ids = this.byOriginId.get(key) ?? new Set<number>();
      ids.add(id);
      this.byOriginId.set(key, ids);
    }
    for (const name of draft.custom.keys()) this.customFields.add(name);
    return lead;
  }

  get(id: number): StoredLead | undefined {
    return this.byId.get(id);
  }

  /** Ascending ID order (insertion order of the Map). */
  all(): IterableIterator<StoredLead> {
    return this.byId.values();
  }

  idsByOriginIds(originIds: Iterable<string>): number[] {
    const ids = new Set<number>();
    for (const origin of originIds) {
      for (const id of this.byOriginId.get(origin.toLowerCase()) ?? []) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  customFieldNames(): string[] {
    return [...this.customFields];
  }

  get size(): number {
    return this.byId.size;
  }

  reset(): void {
    this.byId.clear();
    this.byOriginId.clear();
    this.customFields.clear();
    this.nextId = 1;
    this.nextMultifieldId = 1;
  }
}
