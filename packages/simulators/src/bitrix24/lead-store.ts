/**
 * In-memory lead table. IDs are looked up in O(1) and ORIGIN_ID is indexed because the
 * gateway's reconcile step (`@ORIGIN_ID` IN filter) runs against thousands of leads in benchmarks.
 * A lead may be stored before it is visible (a slow commit: its ID is taken, readers do not see it yet).
 */
import { materializeLead, type LeadDraft, type LeadRecord } from './lead-record';
import type { OriginRecord } from './types';

export interface StoredLead {
  id: number;
  record: LeadRecord;
  createdAt: string;
  /** Epoch ms from which readers see the lead; 0 = at once. */
  visibleFrom: number;
}

interface OriginHistory {
  /** The ORIGIN_ID as first written (the index key is lower-case). */
  originId: string;
  ids: Set<number>;
  deleted: number[];
}

export class LeadStore {
  private readonly byId = new Map<number, StoredLead>();
  /** Keyed lower-case: the list filter compares strings case-insensitively. */
  private readonly byOriginId = new Map<string, OriginHistory>();
  private readonly customFields = new Set<string>();
  private nextId = 1;
  private deletedCount = 0;
  /** The portal's defined custom fields, when fixed by the simulator's options. */
  private readonly definedCustomFields?: ReadonlySet<string>;

  /** Custom fields the portal setup defines (list and required fields), always kept. */
  private readonly setupCustomFields: () => string[];

  constructor(definedCustomFields?: string[], setupCustomFields: () => string[] = () => []) {
    if (definedCustomFields) this.definedCustomFields = new Set(definedCustomFields);
    this.setupCustomFields = setupCustomFields;
  }
  private nextMultifieldId = 1;

  add(draft: LeadDraft, userId: number, nowMs: number, visibleFrom = 0): StoredLead {
    // Bitrix24 ignores a field it does not have: the value is simply not saved.
    if (this.definedCustomFields) {
      const setup = new Set(this.setupCustomFields());
      for (const name of [...draft.custom.keys()]) if (!this.definedCustomFields.has(name) && !setup.has(name)) draft.custom.delete(name);
    }
    const id = this.nextId++;
    const record = materializeLead(draft, {
      id,
      userId,
      nowMs,
      nextMultifieldId: () => this.nextMultifieldId++,
    });
    const lead: StoredLead = { id, record, createdAt: new Date(Math.max(nowMs, visibleFrom)).toISOString(), visibleFrom };
    this.byId.set(id, lead);
    const origin = record.ORIGIN_ID;
    if (typeof origin === 'string' && origin !== '') {
      const key = origin.toLowerCase();
      const history = this.byOriginId.get(key) ?? { originId: origin, ids: new Set<number>(), deleted: [] };
      history.ids.add(id);
      this.byOriginId.set(key, history);
    }
    for (const name of draft.custom.keys()) this.customFields.add(name);
    return lead;
  }

  /** A committed lead; undefined for unknown, deleted or not yet committed IDs. */
  get(id: number): StoredLead | undefined {
    const lead = this.byId.get(id);
    return lead && this.isVisible(lead) ? lead : undefined;
  }

  /** False when there is no such committed lead (Bitrix answers "Not found"). */
  delete(id: number): boolean {
    const lead = this.get(id);
    if (!lead) return false;
    this.byId.delete(id);
    this.deletedCount++;
    const origin = lead.record.ORIGIN_ID;
    const history = typeof origin === 'string' ? this.byOriginId.get(origin.toLowerCase()) : undefined;
    if (history) {
      history.ids.delete(id);
      history.deleted.push(id);
    }
    return true;
  }

  /** Committed leads in ascending ID order (insertion order of the Map). */
  *all(): IterableIterator<StoredLead> {
    for (const lead of this.byId.values()) if (this.isVisible(lead)) yield lead;
  }

  idsByOriginIds(originIds: Iterable<string>): number[] {
    const ids = new Set<number>();
    for (const origin of originIds) {
      for (const id of this.byOriginId.get(origin.toLowerCase())?.ids ?? []) if (this.get(id)) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  origins(): OriginRecord[] {
    return Array.from(this.byOriginId.values(), (h) => ({
      originId: h.originId,
      live: [...h.ids].filter((id) => this.get(id)).sort((a, b) => a - b),
      deleted: [...h.deleted].sort((a, b) => a - b),
    }));
  }

  customFieldNames(): string[] {
    return [...new Set([...(this.definedCustomFields ?? this.customFields), ...this.setupCustomFields()])];
  }

  /** Committed, not deleted leads. */
  get size(): number {
    return this.byId.size - this.uncommitted;
  }

  get deleted(): number {
    return this.deletedCount;
  }

  get uncommitted(): number {
    const now = Date.now();
    let n = 0;
    for (const lead of this.byId.values()) if (lead.visibleFrom > now) n++;
    return n;
  }

  reset(): void {
    this.byId.clear();
    this.byOriginId.clear();
    this.customFields.clear();
    this.nextId = 1;
    this.nextMultifieldId = 1;
    this.deletedCount = 0;
  }

  private isVisible(lead: StoredLead): boolean {
    return lead.visibleFrom === 0 || lead.visibleFrom <= Date.now();
  }
}
