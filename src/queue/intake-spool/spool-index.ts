import { entryLeads, type SpoolEntry } from './spool-record';

/** What this process knows about a lead it holds in its spool: enough for GET /v1/leads/:id. */
export interface SpooledLead {
  id: string;
  source: string;
  externalId?: string;
  destination?: string;
  receivedAt: string;
  spooledAt: string;
}

interface Held extends SpooledLead {
  /** The same lead spooled twice (a client's retry) is one lead, drained once per record. */
  records: number;
}

/**
 * The spool's leads in memory, oldest first (a Map keeps insertion order): its depth, its oldest
 * age and the status answer for a spooled lead, without reading the files.
 */
export class SpoolIndex {
  private readonly held = new Map<string, Held>();

  get leads(): number {
    return this.held.size;
  }

  add(entry: SpoolEntry): void {
    for (const lead of entryLeads(entry)) {
      const known = this.held.get(lead.id);
      if (known) known.records += 1;
      else this.held.set(lead.id, { ...lead, spooledAt: entry.spooledAt, records: 1 });
    }
  }

  /** The entry is in Redis: its leads are no longer this spool's to answer for. */
  remove(entry: SpoolEntry): void {
    for (const { id } of entryLeads(entry)) {
      const known = this.held.get(id);
      if (!known) continue;
      known.records -= 1;
      if (known.records <= 0) this.held.delete(id);
    }
  }

  find(id: string): SpooledLead | undefined {
    const held = this.held.get(id);
    if (!held) return undefined;
    const { records: _records, ...lead } = held;
    return lead;
  }

  /** Seconds since the oldest lead still held was spooled; 0 when empty. */
  oldestSeconds(now = Date.now()): number {
    const first = this.held.values().next();
    return first.done ? 0 : Math.max(0, (now - Date.parse(first.value.spooledAt)) / 1000);
  }
}
