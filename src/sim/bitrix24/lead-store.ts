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
  /** The portal's defined custom fields, when fixed by the simulator's options. */
  private readonly definedCustomFields?: ReadonlySet<string>;

  constructor(definedCustomFields?: string[]) {
    if (definedCustomFields) this.definedCustomFields = new Set(definedCustomFields);
  }
  private nextMultifieldId = 1;

  add(draft: LeadDraft, userId: number, nowMs: number): StoredLead {
    // Bitrix24 ignores a field it does not have: the value is simply not saved.
    if (this.definedCustomFields) for (const name of [...draft.custom.keys()]) if (!this.definedCustomFields.has(name)) draft.custom.delete(name);
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
    return [...(this.definedCustomFields ?? this.customFields)];
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
