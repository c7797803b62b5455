/** `crm.lead.list`: filter, order, select and 50-row paging over the lead store. */
import { compareBy, matches, parseFilter, parseOrder, type Condition, type ValueKind } from './list-filter';
import { MULTIFIELD_VALUE_TYPES, NUMERIC_TYPES, SCALAR_FIELDS, isCustomField } from './lead-fields';
import type { LeadRecord } from './lead-record';
import type { LeadStore, StoredLead } from './lead-store';
import { readParam, type MethodOutcome } from './method-types';
import { phpIntval, phpList, type PhpArray } from './php-query';

/** Fixed by Bitrix; clients page with `start=(N-1)*50`. */
export const PAGE_SIZE = 50;

export function leadFieldKind(field: string): ValueKind | null {
  const spec = SCALAR_FIELDS.get(field);
  if (spec) {
    if (NUMERIC_TYPES.has(spec.type)) return 'num';
    return spec.type === 'date' || spec.type === 'datetime' ? 'date' : 'str';
  }
  if (MULTIFIELD_VALUE_TYPES.has(field)) return 'multi';
  return isCustomField(field) ? 'str' : null;
}

export function listLeads(params: PhpArray, store: LeadStore): MethodOutcome {
  const conditions = parseFilter(readParam(params, 'filter'), leadFieldKind);
  const order = parseOrder(readParam(params, 'order'), leadFieldKind);
  const selection = parseSelect(readParam(params, 'select'));
  const start = phpIntval(params.start);

  const matched: StoredLead[] = [];
  // start=-1 skips the COUNT(*), so without an explicit order the scan can stop at one page.
  const canStopEarly = start < 0 && order.length === 0;
  for (const lead of candidates(conditions, store)) {
    if (matches(conditions, (f) => lead.record[f])) matched.push(lead);
    if (canStopEarly && matched.length === PAGE_SIZE) break;
  }
  if (order.length > 0) matched.sort((a, b) => compareBy(order, (f) => a.record[f], (f) => b.record[f]));

  if (start < 0) return { result: matched.slice(0, PAGE_SIZE).map((l) => project(l.record, selection)) };
  const page = matched.slice(start, start + PAGE_SIZE).map((l) => project(l.record, selection));
  const next = start + PAGE_SIZE < matched.length ? start + PAGE_SIZE : undefined;
  return next === undefined ? { result: page, total: matched.length } : { result: page, next, total: matched.length };
}

/** Uses the ID map or the ORIGIN_ID index when a positive equality/IN condition allows it. */
function candidates(conditions: readonly Condition[], store: LeadStore): Iterable<StoredLead> {
  for (const c of conditions) {
    if (c.negate || (c.op !== 'eq' && c.op !== 'in')) continue;
    const keys = c.values.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    if (keys.length !== c.values.length || keys.some((k) => k === '')) continue;
    if (c.field === 'ORIGIN_ID') {
      return store.idsByOriginIds(keys.map(String)).map((id) => store.get(id) as StoredLead);
    }
    if (c.field === 'ID') {
      const ids = [...new Set(keys.map((k) => Number(k)))].filter(Number.isInteger).sort((a, b) => a - b);
      return ids.map((id) => store.get(id)).filter((l): l is StoredLead => l !== undefined);
    }
  }
  return store.all();
}

interface Selection {
  allScalars: boolean;
  allCustom: boolean;
  named: Set<string>;
}

/** `*` = standard non-multiple fields, `UF_*` = custom fields; multifields only when named. */
function parseSelect(select: unknown): Selection {
  const names = (phpList(select) ?? (typeof select === 'string' ? [select] : []))
    .filter((n): n is string => typeof n === 'string')
    .map((n) => n.trim().toUpperCase());
  const named = new Set(names);
  return { allScalars: names.length === 0 || named.has('*'), allCustom: named.has('UF_*'), named };
}

function project(record: LeadRecord, sel: Selection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of SCALAR_FIELDS.keys()) {
    if (name === 'ID' || sel.allScalars || sel.named.has(name)) out[name] = record[name] ?? null;
  }
  for (const [name, value] of Object.entries(record)) {
    if (isCustomField(name) && (sel.allCustom || sel.named.has(name))) out[name] = value;
  }
  for (const name of sel.named) {
    if (isCustomField(name) && !(name in out)) out[name] = null;
  }
  for (const name of MULTIFIELD_VALUE_TYPES.keys()) {
    if (sel.named.has(name) && record[name] !== undefined) out[name] = record[name];
  }
  return out;
}
