/** REST methods the simulator implements, keyed by lower-case name (Bitrix lower-cases method names). */
import { CRM_METHODS } from './crm-methods';
import { CRM_STATUSES, dealStages } from './crm-statuses';
import { describeLeadFields } from './lead-fields';
import { validateLeadFields } from './lead-record';
import { listLeads } from './lead-query';
import { compareBy, matches, parseFilter, parseOrder, type ValueKind } from './list-filter';
import { readParam, type MethodContext, type MethodHandler, type MethodOutcome } from './method-types';
import { isPhpArray, phpIntval, type PhpArray } from './php-query';
import { restErrors } from './rest-error';
import { convertLead } from './simple-mode';
import { userGet } from './user-methods';

export const BATCH_METHOD = 'batch';

function leadAdd(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const options = readParam(params, 'params');
  // params.REGISTER_SONET_EVENT is accepted; there is no activity stream to notify here.
  if (options !== undefined && !isPhpArray(options)) throw restErrors.crm("Parameter 'params' must be array.");
  // CCrmRestProxyBase::add() checks the user's add permission first: the one documented code-less error.
  if (!ctx.portal.leadAddAllowed()) throw restErrors.crm('Access denied.');
  const draft = validateLeadFields(readParam(params, 'fields'));
  ctx.portal.apply(draft);
  const lead = ctx.store.add(draft, ctx.userId, ctx.nowMs, ctx.visibleFrom);
  const statusId = String(lead.record.STATUS_ID);
  if (ctx.crm.mode === 'simple') convertLead(lead, ctx.crm, ctx.userId, ctx.nowMs);
  ctx.funnel.leadCreated(lead.id, statusId, ctx.nowMs);
  if (lead.record.STATUS_ID === 'CONVERTED' && statusId !== 'CONVERTED') ctx.funnel.leadConvertedOnAdd(lead.id, ctx.crm, ctx.nowMs);
  return { result: lead.id };
}

function leadGet(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const id = phpIntval(readParam(params, 'id'));
  if (id <= 0) throw restErrors.crm('ID is not defined or invalid.');
  const lead = ctx.store.get(id);
  if (!lead) throw restErrors.crm('Not found');
  return { result: lead.record };
}

/** `{"result": true}`; the lead and its links are gone, and list/get no longer find it. */
function leadDelete(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const id = phpIntval(readParam(params, 'id'));
  if (id <= 0) throw restErrors.crm('ID is not defined or invalid.');
  if (!ctx.store.delete(id)) throw restErrors.crm('Not found');
  return { result: true };
}

const STATUS_KINDS: Record<string, ValueKind> = {
  ID: 'num',
  SORT: 'num',
  ENTITY_ID: 'str',
  STATUS_ID: 'str',
  NAME: 'str',
  NAME_INIT: 'str',
  SYSTEM: 'str',
  CATEGORY_ID: 'str',
  COLOR: 'str',
  SEMANTICS: 'str',
};
const statusKind = (field: string): ValueKind | null => STATUS_KINDS[field] ?? null;

function statusList(params: PhpArray, ctx: MethodContext): MethodOutcome {
  const conditions = parseFilter(readParam(params, 'filter'), statusKind);
  const order = parseOrder(readParam(params, 'order'), statusKind);
  const keys = order.length > 0 ? order : parseOrder({ SORT: 'ASC' }, statusKind);
  const read = (item: object) => (f: string) => (item as Record<string, unknown>)[f];
  const all = [...CRM_STATUSES, ...ctx.portal.dealCategories().flatMap((id) => dealStages(id))];
  const items = all.filter((s) => matches(conditions, read(s)));
  items.sort((a, b) => compareBy(keys, read(a), read(b)) || Number(a.ID) - Number(b.ID));
  return { result: items, total: items.length };
}

/** Cheap identity methods clients use as a credentials check. */
function profile(_params: PhpArray, ctx: MethodContext): MethodOutcome {
  return {
    result: { ID: String(ctx.userId), ADMIN: true, NAME: 'Leadgate', LAST_NAME: 'Simulator', PERSONAL_GENDER: '', TIME_ZONE: '' },
  };
}

function userCurrent(_params: PhpArray, ctx: MethodContext): MethodOutcome {
  return {
    result: {
      ID: String(ctx.userId),
      ACTIVE: true,
      NAME: 'Leadgate',
      LAST_NAME: 'Simulator',
      EMAIL: 'simulator@leadgate.invalid',
      IS_ONLINE: 'Y',
      USER_TYPE: 'employee',
    },
  };
}

export const METHODS: ReadonlyMap<string, MethodHandler> = new Map<string, MethodHandler>([
  ['crm.lead.add', leadAdd],
  ['crm.lead.get', leadGet],
  ['crm.lead.delete', leadDelete],
  ['crm.lead.list', (params, ctx) => listLeads(params, ctx.store)],
  ['crm.lead.fields', (_params, ctx) => ({ result: ctx.portal.describe(describeLeadFields(ctx.store.customFieldNames())) })],
  ['crm.status.list', statusList],
  ['profile', profile],
  ['user.current', userCurrent],
  ['user.get', userGet],
  ...CRM_METHODS,
]);

/**
 * The scope a method needs (CRestProvider checks it per call, batch sub-commands included);
 * undefined = none (`profile`, `batch`: basic).
 */
export function requiredScope(method: string): string | undefined {
  if (method.startsWith('crm.')) return 'crm';
  if (method.startsWith('user.')) return 'user';
  return undefined;
}

export function isKnownMethod(method: string): boolean {
  return method === BATCH_METHOD || METHODS.has(method);
}
