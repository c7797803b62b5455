/**
 * Stage history of leads and deals (crm.stagehistory.list) and the stage moves that write it.
 * Shapes follow the official docs (api-reference/crm/crm-stage-history-list.md): one row per
 * creation (TYPE_ID 1), move to an intermediate stage (2) or a final one (3); leads carry STATUS_ID,
 * deals STAGE_ID; CREATED_TIME is an ATOM date; the answer is `{"result": {"items": [...]}}`.
 */
import { dealStageSemantic } from './crm-statuses';
import { leadStatusSemantic } from './crm-statuses';
import { formatAtom } from './time-info';

/** crm.stagehistory.list's entityTypeId: 1 lead, 2 deal. */
export const ENTITY_TYPE = { lead: 1, deal: 2 } as const;
export type StagedEntity = keyof typeof ENTITY_TYPE;

export interface StageHistoryRow {
  ID: string;
  TYPE_ID: string;
  OWNER_ID: string;
  CREATED_TIME: string;
  CATEGORY_ID: string | null;
  STAGE_SEMANTIC_ID: 'P' | 'S' | 'F';
  STATUS_ID?: string;
  STAGE_ID?: string;
}

export class StageHistory {
  private rows: StageHistoryRow[] = [];
  private nextId = 1;

  record(entity: StagedEntity, ownerId: number, stageId: string, nowMs: number, created: boolean): StageHistoryRow {
    const semantic = entity === 'lead' ? leadStatusSemantic(stageId) : dealStageSemantic(stageId);
    const row: StageHistoryRow = {
      ID: String(this.nextId++),
      TYPE_ID: created ? '1' : semantic === 'P' ? '2' : '3',
      OWNER_ID: String(ownerId),
      CREATED_TIME: formatAtom(nowMs),
      CATEGORY_ID: entity === 'deal' ? '0' : null,
      STAGE_SEMANTIC_ID: semantic,
      ...(entity === 'lead' ? { STATUS_ID: stageId } : { STAGE_ID: stageId }),
    };
    this.rows.push(row);
    return row;
  }

  /** Rows of one entity type; `entityTypeId` 1 = leads (rows with STATUS_ID), 2 = deals. */
  of(entityTypeId: number): StageHistoryRow[] {
    return this.rows.filter((r) => (entityTypeId === ENTITY_TYPE.lead ? r.STATUS_ID !== undefined : r.STAGE_ID !== undefined));
  }

  all(): StageHistoryRow[] {
    return this.rows.map((r) => ({ ...r }));
  }

  reset(): void {
    this.rows = [];
    this.nextId = 1;
  }
}
