/** Default lead SOURCE and STATUS reference lists of a fresh portal (crm-lead-add.md). */

export interface CrmStatusItem {
  ID: string;
  ENTITY_ID: string;
  STATUS_ID: string;
  NAME: string;
  NAME_INIT: string;
  SORT: string;
  SYSTEM: 'Y' | 'N';
  CATEGORY_ID: null;
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

export const CRM_STATUSES: readonly CrmStatusItem[] = buildStatuses();

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
