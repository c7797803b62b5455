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

  constructor(private readonly initialMode: CrmModeName = 'classic') {
    this.mode = initialMode;
  }

  add(kind: EntityKind, fields: CrmRecord, userId: number, nowMs: number): number {
    const id = this.nextIds[kind]++;
    const now = formatAtom(nowMs);
    const user = String(userId);
    this.tables[kind].set(id, { ASSIGNED_BY_ID: user, CREATED_BY_ID: user, DATE_CREATE: now, DATE_MODIFY: now, ...fields, ID: String(id) });
    return id;
  }

  get(kind: EntityKind, id: number): CrmRecord | undefined {
    return this.tables[kind].get(id);
  }

  all(kind: EntityKind): CrmRecord[] {
    return [...this.tables[kind].values()];
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
    this.mode = this.initialMode;
  }
}
