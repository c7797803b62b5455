/**
 * Contacts, companies, deals and timeline comments of one portal, and its CRM mode. Kept beside the
 * lead store (which stays tuned for the ORIGIN_ID lookups benchmarks hammer): these tables are small.
 */
import { formatAtom } from './time-info';

export type CrmRecord = Record<string, unknown>;
export type EntityKind = 'contact' | 'company' | 'deal';

/** crm.settings.mode.get: 1 = classic (with leads), 2 = simple (no leads). */
export const CRM_MODE = { classic: 1, simple: 2 } as const;
export type CrmModeName = keyof typeof CRM_MODE;

export interface TimelineComment {
  ID: string;
  ENTITY_ID: string;
  ENTITY_TYPE: string;
  COMMENT: string;
  AUTHOR_ID: string;
  CREATED: string;
}

export class CrmEntities {
  mode: CrmModeName;
  private readonly tables: Record<EntityKind, Map<number, CrmRecord>> = { contact: new Map(), company: new Map(), deal: new Map() };
  private readonly nextIds: Record<EntityKind | 'comment', number> = { contact: 1, company: 1, deal: 1, comment: 1 };
  private readonly commentsById = new Map<number, TimelineComment>();
  /** Epoch ms from which a record is visible (a slow commit took its ID but has not committed yet). */
  private readonly visibleFrom = new Map<string, number>();
  private readonly deletedIds: Record<EntityKind, number[]> = { contact: [], company: [], deal: [] };

  constructor(private readonly initialMode: CrmModeName = 'classic') {
    this.mode = initialMode;
  }

  /** `visibleFrom` > 0: the ID is taken now, readers see the record only from then (a slow commit). */
  add(kind: EntityKind, fields: CrmRecord, userId: number, nowMs: number, visibleFrom = 0): number {
    const id = this.nextIds[kind]++;
    const now = formatAtom(Math.max(nowMs, visibleFrom));
    const user = String(userId);
    this.tables[kind].set(id, { ASSIGNED_BY_ID: user, CREATED_BY_ID: user, DATE_CREATE: now, DATE_MODIFY: now, ...fields, ID: String(id) });
    if (visibleFrom > 0) this.visibleFrom.set(`${kind}:${id}`, visibleFrom);
    return id;
  }

  private visible(kind: EntityKind, id: number): boolean {
    const from = this.visibleFrom.get(`${kind}:${id}`);
    return from === undefined || from <= Date.now();
  }

  /** A committed record; undefined for unknown, deleted or not yet committed IDs. */
  get(kind: EntityKind, id: number): CrmRecord | undefined {
    return this.visible(kind, id) ? this.tables[kind].get(id) : undefined;
  }

  all(kind: EntityKind): CrmRecord[] {
    return [...this.tables[kind].entries()].filter(([id]) => this.visible(kind, id)).map(([, r]) => r);
  }

  /** False when there is no such committed record (Bitrix answers "Not found"); the record's comments go with it. */
  delete(kind: EntityKind, id: number): boolean {
    if (this.get(kind, id) === undefined) return false;
    this.tables[kind].delete(id);
    this.deletedIds[kind].push(id);
    for (const [commentId, c] of this.commentsById) if (c.ENTITY_TYPE === kind && c.ENTITY_ID === String(id)) this.commentsById.delete(commentId);
    return true;
  }

  /** IDs deleted through crm.<kind>.delete, in order. */
  deleted(kind: EntityKind): number[] {
    return [...this.deletedIds[kind]];
  }

  addComment(entityType: string, entityId: number, comment: string, userId: number, nowMs: number): number {
    const id = this.nextIds.comment++;
    this.commentsById.set(id, {
      ID: String(id),
      ENTITY_ID: String(entityId),
      ENTITY_TYPE: entityType,
      COMMENT: comment,
      AUTHOR_ID: String(userId),
      CREATED: formatAtom(nowMs),
    });
    return id;
  }

  comments(): TimelineComment[] {
    return [...this.commentsById.values()];
  }

  reset(): void {
    for (const table of Object.values(this.tables)) table.clear();
    for (const key of Object.keys(this.nextIds) as Array<keyof typeof this.nextIds>) this.nextIds[key] = 1;
    this.commentsById.clear();
    this.visibleFrom.clear();
    for (const ids of Object.values(this.deletedIds)) ids.length = 0;
    this.mode = this.initialMode;
  }
}
