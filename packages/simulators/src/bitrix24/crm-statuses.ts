/**
 * Default lead SOURCE and STATUS reference lists of a fresh portal (crm-lead-add.md), and the deal
 * stages of each pipeline (ENTITY_ID DEAL_STAGE for the general one, DEAL_STAGE_<n> for pipeline n,
 * whose stage ids carry the prefix C<n>:).
 */

export interface CrmStatusItem {
  ID: string;
  ENTITY_ID: string;
  STATUS_ID: string;
  NAME: string;
  NAME_INIT: string;
  SORT: string;
  SYSTEM: 'Y' | 'N';
  CATEGORY_ID: string | null;
  COLOR: string | null;
  SEMANTICS: 'S' | 'F' | null;
  EXTRA?: { SEMANTICS: 'process' | 'success' | 'failure'; COLOR: string };
}

const SOURCES: Array<[string, string]> = [
  ['CALL', 'Call'],
  ['EMAIL', 'E-mail'],
  ['WEB', 'Website'],
  ['ADVERTISING', 'Advertising'],
  ['PARTNER', 'Existing client'],
  ['RECOMMENDATION', 'By recommendation'],
  ['TRADE_SHOW', 'Trade show'],
  ['WEBFORM', 'CRM form'],
  ['CALLBACK', 'Callback'],
  ['RC_GENERATOR', 'Sales generator'],
  ['STORE', 'Online store'],
  ['OTHER', 'Other'],
];

const STAGES: Array<[string, string, 'process' | 'success' | 'failure', string]> = [
  ['NEW', 'Unprocessed', 'process', '#39A8EF'],
  ['IN_PROCESS', 'In progress', 'process', '#2FC6F6'],
  ['PROCESSED', 'Processed', 'process', '#55D0E0'],
  ['JUNK', 'Poor quality lead', 'failure', '#FF5752'],
  ['CONVERTED', 'Quality lead', 'success', '#7BD500'],
];



export function dealStagePrefix(categoryId: string): string {
  return categoryId === '0' || categoryId === '' ? '' : `C${categoryId}:`;
}

/** STAGE_SEMANTIC_ID stored on a deal, from the stage id without its pipeline prefix. */
export function dealStageSemantic(stageId: string): 'P' | 'S' | 'F' {
  const stage = DEAL_STAGES.find(([id]) => id === stageId.replace(/^C\d+:/, ''));
  return stage?.[2] === 'success' ? 'S' : stage?.[2] === 'failure' ? 'F' : 'P';
}

/** The stages of deal pipeline `categoryId` (0 = the general pipeline every portal has). */
export function dealStages(categoryId: number): CrmStatusItem[] {
  const prefix = dealStagePrefix(String(categoryId));
  return DEAL_STAGES.map(([statusId, name, semantics], i) => ({
    ID: String(1000 + categoryId * 100 + i),
    ENTITY_ID: categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`,
    STATUS_ID: `${prefix}${statusId}`,
    NAME: name,
    NAME_INIT: name,
    SORT: String((i + 1) * 10),
    SYSTEM: 'Y',
    CATEGORY_ID: String(categoryId),
    COLOR: null,
    SEMANTICS: semantics === 'success' ? 'S' : semantics === 'failure' ? 'F' : null,
    EXTRA: { SEMANTICS: semantics, COLOR: '#39A8EF' },
  }));
}

const DEAL_STAGES: Array<[string, string, 'process' | 'success' | 'failure']> = [
  ['NEW', 'New', 'process'],
  ['PREPARATION', 'Document creation', 'process'],
  ['PREPAYMENT_INVOICE', 'Invoice', 'process'],
  ['EXECUTING', 'In progress', 'process'],
  ['FINAL_INVOICE', 'Final invoice', 'process'],
  ['WON', 'Deal won', 'success'],
  ['LOSE', 'Deal lost', 'failure'],
  ['APOLOGY', 'Analyze failure', 'failure'],
];

export const CRM_STATUSES: readonly CrmStatusItem[] = [...buildStatuses(), ...dealStages(0)];

export const LEAD_SOURCE_IDS: ReadonlySet<string> = new Set(SOURCES.map(([id]) => id));
export const LEAD_STATUS_IDS: ReadonlySet<string> = new Set(STAGES.map(([id]) => id));

/** STATUS_SEMANTIC_ID stored on a lead: P(rocess), S(uccess), F(ailure). */
export function leadStatusSemantic(statusId: string): 'P' | 'S' | 'F' {
  const stage = STAGES.find(([id]) => id === statusId);
  if (!stage) return 'P';
  return stage[2] === 'success' ? 'S' : stage[2] === 'failure' ? 'F' : 'P';
}

function buildStatuses(): CrmStatusItem[] {
  let id = 0;
  const items: CrmStatusItem[] = [];
  STAGES.forEach(([statusId, name, semantics, color], i) => {
    items.push({
      ID: String(++id),
      ENTITY_ID: 'STATUS',
      STATUS_ID: statusId,
      NAME: name,
      NAME_INIT: name,
      SORT: String((i + 1) * 10),
      SYSTEM: 'Y',
      CATEGORY_ID: null,
      COLOR: color,
      SEMANTICS: semantics === 'success' ? 'S' : semantics === 'failure' ? 'F' : null,
      EXTRA: { SEMANTICS: semantics, COLOR: color },
    });
  });
  SOURCES.forEach(([statusId, name], i) => {
    items.push({
      ID: String(++id),
      ENTITY_ID: 'SOURCE',
      STATUS_ID: statusId,
      NAME: name,
      NAME_INIT: name,
      SORT: String((i + 1) * 10),
      SYSTEM: 'N',
      CATEGORY_ID: null,
      COLOR: null,
      SEMANTICS: null,
    });
  });
  return items;
}

/** Deal stage ids of any pipeline, without the C<n>: prefix. */
export const DEAL_STAGE_IDS: ReadonlySet<string> = new Set(DEAL_STAGES.map(([id]) => id));
