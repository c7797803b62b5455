/**
 * Deal, contact, duplicate-search, timeline-comment and CRM-mode methods (reference spam-ha-backfill.md
 * §4, bitrix24-rest.md §2.7). Values come back as strings, like every Bitrix24 read.
 */
import { CRM_MODE, type CrmRecord, type EntityKind } from './crm-entities';
import { dealStagePrefix, dealStageSemantic } from './crm-statuses';
import { describeEntityFields } from './entity-fields';
import { MULTIFIELD_VALUE_TYPES } from './lead-fields';
import { validateLeadFields } from './lead-record';
import { PAGE_SIZE } from './lead-query';
import { compareBy, matches, parseFilter, parseOrder, type ValueKind } from './list-filter';
import { readParam, type MethodContext, type MethodHandler, type MethodOutcome } from './method-types';
import { isPhpArray, phpIntval, phpList, type PhpArray, type PhpValue } from './php-query';
import { RestError, restErrors } from './rest-error';

const COMMON = ['ASSIGNED_BY_ID', 'SOURCE_ID', 'SOURCE_DESCRIPTION', 'ORIGINATOR_ID', 'ORIGIN_ID', 'COMMENTS', 'OPENED',
  'UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM'];
export const SCALARS: Record<EntityKind, ReadonlySet<string>> = {
  contact: new Set([...COMMON, 'NAME', 'LAST_NAME', 'SECOND_NAME', 'POST', 'COMPANY_ID', 'LEAD_ID', 'HONORIFIC', 'BIRTHDATE']),
  company: new Set([...COMMON, 'TITLE', 'LEAD_ID']),
  deal: new Set([...COMMON, 'TITLE', 'CATEGORY_ID', 'STAGE_ID', 'BEGINDATE', 'CLOSEDATE', 'TYPE_ID', 'PROBABILITY', 'COMPANY_ID', 'CONTACT_ID', 'LEAD_ID', 'OPPORTUNITY', 'CURRENCY_ID', 'IS_MANUAL_OPPORTUNITY']),
};
const NUMERIC = new Set(['ID', 'ASSIGNED_BY_ID', 'COMPANY_ID', 'CONTACT_ID', 'LEAD_ID', 'CATEGORY_ID', 'CREATED_BY_ID']);
const HAS_MULTIFIELDS: Record<EntityKind, boolean> = { contact: true, company: true, deal: false };

/** The record a `crm.<kind>.add` stores: known scalars as strings, multifields validated as for leads, UF_CRM_* kept. */
export function readEntityFields(kind: EntityKind, raw: PhpValue | undefined): CrmRecord {
  if (!isPhpArray(raw) || (Array.isArray(raw) && raw.length > 0)) throw restErrors.crm("Parameter 'fields' must be array.");
  const record: CrmRecord = {};
  const multi: PhpArray = {};
  for (const [name, value] of Object.entries(raw)) {
    if (MULTIFIELD_VALUE_TYPES.has(name)) {
      if (HAS_MULTIFIELDS[kind]) multi[name] = value;
    } else if (name === 'CONTACT_IDS' && kind === 'deal') {
      const ids = (phpList(value) ?? [value]).map(phpIntval).filter((n) => n > 0);
      if (ids.length > 0) record.CONTACT_ID = String(ids[0]);
    } else if (SCALARS[kind].has(name) || name.startsWith('UF_CRM_')) {
      const text = typeof value === 'string' || typeof value === 'number' ? String(value) : null;
      if (text === null || text === '') continue;
      if (NUMERIC.has(name)) {
        if (phpIntval(text) > 0) record[name] = String(phpIntval(text));
      } else record[name] = text;
    }
  }
  const draft = validateLeadFields(multi);
  let n = 1;
  for (const [name, entries] of draft.multifields) record[name] = entries.map((e) => ({ ID: String(n++), ...e, TYPE_ID: name }));
  return record;
}

const kindOf = (field: string): ValueKind | null => {
  if (field === 'PHONE' || field === 'EMAIL') return 'multi';
  if (!/^[A-Z_0-9]+$/.test(field)) return null;
  return NUMERIC.has(field) ? 'num' : field.startsWith('DATE_') ? 'date' : 'str';
};

/** `crm.<kind>.list`: filter, order, select and the 50-row pages of crm.lead.list. */
export function listRecords(records: CrmRecord[], params: PhpArray): MethodOutcome {
  const conditions = parseFilter(readParam(params, 'filter'), kindOf);
  const order = parseOrder(readParam(params, 'order'), kindOf);
  const select = (phpList(readParam(params, 'select') ?? null) ?? []).filter((s): s is string => typeof s === 'string');
  const matched = records.filter((r) => matches(conditions, (f) => r[f]));
  matched.sort((a, b) => compareBy(order, (f) => a[f], (f) => b[f]) || Number(a.ID) - Number(b.ID));
  const project = (r: CrmRecord): CrmRecord =>
    select.length === 0 || select.includes('*') ? { ...r } : Object.fromEntries(['ID', ...select].map((f) => [f, r[f] ?? null]));
  const start = phpIntval(params.start);
  if (start < 0) return { result: matched.slice(0, PAGE_SIZE).map(project) };
  const page = matched.slice(start, start + PAGE_SIZE).map(project);
  return start + PAGE_SIZE < matched.length ? { result: page, next: start + PAGE_SIZE, total: matched.length } : { result: page, total: matched.length };
}

function entityAdd(kind: EntityKind): MethodHandler {
  return (params, ctx) => {
    const record = readEntityFields(kind, readParam(params, 'fields'));
    if (kind === 'deal') {
      record.CATEGORY_ID ??= '0';
      // A pipeline's stages are named C<category>:<stage>; the general pipeline's have no prefix.
      record.STAGE_ID ??= dealStagePrefix(String(record.CATEGORY_ID)) + 'NEW';
      record.STAGE_SEMANTIC_ID = dealStageSemantic(String(record.STAGE_ID));
      record.IS_RETURN_CUSTOMER = record.CONTACT_ID !== undefined || record.COMPANY_ID !== undefined ? 'Y' : 'N';
    }
    const id = ctx.crm.add(kind, record, ctx.userId, ctx.nowMs, ctx.visibleFrom);
    if (kind === 'deal') ctx.funnel.dealCreated(id, String(record.STAGE_ID), ctx.nowMs);
    return { result: id };
  };
}

function readId(params: PhpArray): number {
  const id = phpIntval(readParam(params, 'id'));
  if (id <= 0) throw restErrors.crm('ID is not defined or invalid.');
  return id;
}

/** `crm.<kind>.get`: the whole record (CONTACT_IDS is write-only and never returned). */
function entityGet(kind: EntityKind): MethodHandler {
  return (params, ctx) => {
    const record = ctx.crm.get(kind, readId(params));
    if (!record) throw restErrors.crm('Not found');
    return { result: { ...record } };
  };
}

/** `crm.<kind>.delete`: `{"result": true}`; list/get no longer find the record. */
function entityDelete(kind: EntityKind): MethodHandler {
  return (params, ctx) => {
    if (!ctx.crm.delete(kind, readId(params))) throw restErrors.crm('Not found');
    return { result: true };
  };
}

/** `crm.<kind>.fields`: the stock fields, plus the UF_CRM_* fields records of this kind carry. */
function entityFields(kind: EntityKind): MethodHandler {
  return (_params, ctx) => {
    const custom = new Set<string>();
    for (const r of ctx.crm.all(kind)) for (const name of Object.keys(r)) if (name.startsWith('UF_CRM_')) custom.add(name);
    return { result: describeEntityFields(kind, custom) };
  };
}

const HISTORY_KINDS: Record<string, ValueKind> = {
  ID: 'num', TYPE_ID: 'num', OWNER_ID: 'num', CATEGORY_ID: 'num', CREATED_TIME: 'date',
  STAGE_SEMANTIC_ID: 'str', STATUS_ID: 'str', STAGE_ID: 'str',
};

/**
 * `crm.stagehistory.list`: entityTypeId 1 (leads) or 2 (deals), filter/order/select/start like other
 * lists, 50 rows a page; the rows sit in `result.items` (api-reference/crm/crm-stage-history-list.md).
 */
function stageHistoryList(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const entityTypeId = phpIntval(readParam(params, 'entityTypeId'));
  if (entityTypeId !== 1 && entityTypeId !== 2) throw new RestError(400, '', 'entityTypeId is not supported: 1 (lead) and 2 (deal) are.');
  const kind = (f: string): ValueKind | null => HISTORY_KINDS[f] ?? null;
  const conditions = parseFilter(readParam(params, 'filter'), kind);
  const order = parseOrder(readParam(params, 'order'), kind);
  const rows = ctx.funnel.history.of(entityTypeId).filter((r) => matches(conditions, (f) => (r as unknown as Record<string, unknown>)[f]));
  rows.sort((a, b) => compareBy(order, (f) => (a as unknown as Record<string, unknown>)[f], (f) => (b as unknown as Record<string, unknown>)[f]) || Number(a.ID) - Number(b.ID));
  const select = (phpList(readParam(params, 'select') ?? null) ?? []).filter((x): x is string => typeof x === 'string');
  const project = (r: object): Record<string, unknown> =>
    select.length === 0 || select.includes('*') ? { ...r } : Object.fromEntries(select.map((f) => [f, (r as Record<string, unknown>)[f] ?? null]));
  const start = Math.max(0, phpIntval(params.start));
  const page = rows.slice(start, start + PAGE_SIZE).map(project);
  const items = { items: page };
  return start + PAGE_SIZE < rows.length ? { result: items, next: start + PAGE_SIZE, total: rows.length } : { result: items, total: rows.length };
}

const COMM_TYPES = new Set(['EMAIL', 'PHONE']);
const DUPLICATE_ENTITY_TYPES = ['LEAD', 'CONTACT', 'COMPANY'] as const;
/** Documented limits: 20 values per call, 20 matches per entity type. */
export const FINDBYCOMM_MAX_VALUES = 20;
const FINDBYCOMM_MAX_MATCHES = 20;

/** Phones are compared as written (the portal is format-sensitive); e-mails case-insensitively. */
function commValues(record: CrmRecord, type: string): string[] {
  const rows = record[type];
  if (!Array.isArray(rows)) return [];
  return rows.map((r) => String((r as { VALUE?: unknown }).VALUE ?? '')).map((v) => (type === 'EMAIL' ? v.toLowerCase() : v));
}

function findByComm(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const type = readParam(params, 'type');
  if (type === undefined || type === '') throw new RestError(400, 'Communication type is not defined', "Parameter 'type' is required.");
  const commType = String(type).toUpperCase();
  if (!COMM_TYPES.has(commType)) throw new RestError(400, '', `Communication type '${String(type)}' is not supported in current context`);
  const values = (phpList(readParam(params, 'values') ?? null) ?? []).map((v) => String(v ?? '').trim()).filter((v) => v !== '');
  if (values.length === 0) throw new RestError(400, '', 'Communication values is not defined');
  // The limit is documented; the refusal's wording is not (see the simulator README).
  if (values.length > FINDBYCOMM_MAX_VALUES) throw new RestError(400, '', `Too many communication values: at most ${FINDBYCOMM_MAX_VALUES} per call.`);
  const wanted = new Set(values.map((v) => (commType === 'EMAIL' ? v.toLowerCase() : v)));
  const rawEntity = readParam(params, 'entity_type');
  const entityTypes = rawEntity === undefined || rawEntity === '' ? DUPLICATE_ENTITY_TYPES : DUPLICATE_ENTITY_TYPES.filter((t) => t === String(rawEntity).toUpperCase());
  const hit = (r: CrmRecord) => commValues(r, commType).some((v) => wanted.has(v));
  const found: Record<string, number[]> = {};
  for (const entity of entityTypes) {
    const records = entity === 'LEAD' ? Array.from(ctx.store.all(), (l) => l.record) : ctx.crm.all(entity === 'CONTACT' ? 'contact' : 'company');
    const ids = records.filter(hit).map((r) => Number(r.ID)).slice(0, FINDBYCOMM_MAX_MATCHES);
    if (ids.length === 0) continue;
    // A type that reaches the cap crowds the others out of the answer.
    if (ids.length === FINDBYCOMM_MAX_MATCHES) return { result: { [entity]: ids } };
    found[entity] = ids;
  }
  return { result: Object.keys(found).length === 0 ? [] : found };
}

const OWNER_TYPES = new Set(['lead', 'deal', 'contact', 'company']);

function readCommentFields(params: PhpArray): { entityType: string; entityId: number; comment: string } {
  const fields = readParam(params, 'fields');
  if (!isPhpArray(fields) || Array.isArray(fields)) throw new RestError(400, 'INVALID_ARG_VALUE', "Parameter 'fields' must be array.");
  const entityType = String(fields.ENTITY_TYPE ?? '').toLowerCase();
  const entityId = phpIntval(fields.ENTITY_ID);
  const comment = typeof fields.COMMENT === 'string' || typeof fields.COMMENT === 'number' ? String(fields.COMMENT) : '';
  if (comment.trim() === '') throw new RestError(400, 'INVALID_ARG_VALUE', 'Comment text is empty.');
  return { entityType, entityId, comment };
}

function commentAdd(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const { entityType, entityId, comment } = readCommentFields(params);
  const exists =
    OWNER_TYPES.has(entityType) && entityId > 0 && (entityType === 'lead' ? ctx.store.get(entityId) !== undefined : ctx.crm.get(entityType as EntityKind, entityId) !== undefined);
  if (!exists) throw new RestError(400, 'OWNER_NOT_FOUND', 'Owner entity not found.');
  return { result: ctx.crm.addComment(entityType, entityId, comment, ctx.userId, ctx.nowMs) };
}

function commentList(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const records = ctx.crm.comments().map((c) => ({ ...c }) as CrmRecord);
  return listRecords(records, params);
}

export const CRM_METHODS: ReadonlyArray<[string, MethodHandler]> = [
  ['crm.settings.mode.get', (_p, ctx) => ({ result: CRM_MODE[ctx.crm.mode] })],
  ['crm.deal.add', entityAdd('deal')],
  ['crm.deal.get', entityGet('deal')],
  ['crm.deal.delete', entityDelete('deal')],
  ['crm.deal.fields', entityFields('deal')],
  ['crm.stagehistory.list', stageHistoryList],
  ['crm.deal.list', (p, ctx) => listRecords(ctx.crm.all('deal'), p)],
  ['crm.contact.add', entityAdd('contact')],
  ['crm.contact.get', entityGet('contact')],
  ['crm.contact.delete', entityDelete('contact')],
  ['crm.contact.fields', entityFields('contact')],
  ['crm.contact.list', (p, ctx) => listRecords(ctx.crm.all('contact'), p)],
  ['crm.company.add', entityAdd('company')],
  ['crm.company.list', (p, ctx) => listRecords(ctx.crm.all('company'), p)],
  ['crm.duplicate.findbycomm', findByComm],
  ['crm.timeline.comment.add', commentAdd],
  ['crm.timeline.comment.list', commentList],
];
