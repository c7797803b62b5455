/**
 * Turns `crm.lead.add` fields into the record Bitrix would store and return: all-string values,
 * nulls for empty, defaults filled in, multifields with their own IDs. Validation happens first
 * and rejects the whole add, because Bitrix never stores a lead whose CheckFields failed.
 */
import { LEAD_SOURCE_IDS, LEAD_STATUS_IDS, leadStatusSemantic } from './crm-statuses';
import {
  MULTIFIELD_TITLES,
  MULTIFIELD_VALUE_TYPES,
  SCALAR_FIELDS,
  isCustomField,
  type LeadFieldSpec,
} from './lead-fields';
import { isPhpArray, phpIntval, phpList, type PhpValue } from './php-query';
import { restErrors } from './rest-error';
import { formatAtom } from './time-info';

export interface MultifieldEntry {
  ID: string;
  VALUE_TYPE: string;
  VALUE: string;
  TYPE_ID: string;
}

export type LeadRecord = Record<string, unknown>;

export interface LeadDraft {
  scalars: Map<string, string | null>;
  multifields: Map<string, Array<{ VALUE_TYPE: string; VALUE: string }>>;
  custom: Map<string, unknown>;
  contactIds: string[];
}

export interface MaterializeContext {
  id: number;
  userId: number;
  nowMs: number;
  nextMultifieldId: () => number;
}

const Y_OR_N_FIELDS = new Set(['OPENED', 'IS_MANUAL_OPPORTUNITY']);
const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@(?:[\p{L}\p{N}_-]+\.)+[\p{L}\p{N}-]{2,}$/u;

/** Throws a 400 RestError listing every problem (one per line), as CCrmLead::LAST_ERROR does. */
export function validateLeadFields(fields: unknown): LeadDraft {
  const isEmptyList = Array.isArray(fields) && fields.length === 0;
  if (!isPhpArray(fields) || (Array.isArray(fields) && !isEmptyList)) {
    throw restErrors.crm("Parameter 'fields' must be array.");
  }
  const draft: LeadDraft = { scalars: new Map(), multifields: new Map(), custom: new Map(), contactIds: [] };
  const errors: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (MULTIFIELD_VALUE_TYPES.has(name)) {
      const entries = validateMultifield(name, value, errors);
      if (entries.length > 0) draft.multifields.set(name, entries);
    } else if (name === 'CONTACT_IDS') {
      draft.contactIds = (phpList(value) ?? [value]).map(phpIntval).filter((n) => n > 0).map(String);
    } else if (isCustomField(name)) {
      draft.custom.set(name, customValue(value));
    } else {
      const spec = SCALAR_FIELDS.get(name);
      // Unknown and read-only names are dropped silently, like Bitrix does without params.IMPORT.
      if (spec && !spec.readOnly) {
        const normalized = normalizeScalar(name, spec, value, errors);
        if (normalized !== undefined) draft.scalars.set(name, normalized);
      }
    }
  }
  if (errors.length > 0) throw restErrors.crm(errors.join('\n'));
  return draft;
}

export function materializeLead(draft: LeadDraft, ctx: MaterializeContext): LeadRecord {
  const now = formatAtom(ctx.nowMs);
  const user = String(ctx.userId);
  const given = (name: string): string | null => draft.scalars.get(name) ?? null;
  const title = given('TITLE');
  const status = given('STATUS_ID') ?? 'NEW';
  const semantic = leadStatusSemantic(status);
  const contactId = given('CONTACT_ID') ?? draft.contactIds[0] ?? null;
  const has = (type: string, pred: (e: { VALUE_TYPE: string }) => boolean = () => true) =>
    (draft.multifields.get(type) ?? []).some(pred) ? 'Y' : 'N';

  const defaults: Record<string, string | null> = {
    ID: String(ctx.id),
    // Bitrix fills an empty title with its numbered default.
    TITLE: title !== null && title.trim() !== '' ? title : `Lead #${ctx.id}`,
    CONTACT_ID: contactId,
    IS_RETURN_CUSTOMER: given('COMPANY_ID') !== null || contactId !== null ? 'Y' : 'N',
    BIRTHDATE: '',
    STATUS_ID: status,
    CURRENCY_ID: 'USD',
    OPPORTUNITY: '0.00',
    IS_MANUAL_OPPORTUNITY: 'N',
    HAS_PHONE: has('PHONE'),
    HAS_EMAIL: has('EMAIL'),
    HAS_IMOL: has('IM', (e) => e.VALUE_TYPE === 'IMOL'),
    ASSIGNED_BY_ID: user,
    CREATED_BY_ID: user,
    MODIFY_BY_ID: user,
    DATE_CREATE: now,
    DATE_MODIFY: now,
    DATE_CLOSED: semantic === 'P' ? '' : now,
    STATUS_SEMANTIC_ID: semantic,
    OPENED: 'Y',
    MOVED_BY_ID: user,
    MOVED_TIME: now,
    LAST_ACTIVITY_TIME: now,
    LAST_ACTIVITY_BY: user,
  };
  const record: LeadRecord = {};
  for (const name of SCALAR_FIELDS.keys()) {
    record[name] = COMPUTED.has(name) ? (defaults[name] ?? null) : (given(name) ?? defaults[name] ?? null);
  }
  for (const [name, value] of draft.custom) record[name] = value;
  for (const [name, entries] of draft.multifields) {
    record[name] = entries.map(
      (e): MultifieldEntry => ({ ID: String(ctx.nextMultifieldId()), VALUE_TYPE: e.VALUE_TYPE, VALUE: e.VALUE, TYPE_ID: name }),
    );
  }
  return record;
}

/** Fields derived from other input; a client value for them never wins. */
const COMPUTED = new Set([
  'ID',
  'TITLE',
  'CONTACT_ID',
  'IS_RETURN_CUSTOMER',
  'STATUS_ID',
  'HAS_PHONE',
  'HAS_EMAIL',
  'HAS_IMOL',
  'STATUS_SEMANTIC_ID',
]);

function validateMultifield(
  name: string,
  value: unknown,
  errors: string[],
): Array<{ VALUE_TYPE: string; VALUE: string }> {
  const title = MULTIFIELD_TITLES[name] ?? name;
  const rows = phpList(value);
  if (rows === null) {
    errors.push(`Expected iterable value for multiple field "${name}", but got ${phpTypeName(value)} instead.`);
    return [];
  }
  const allowed = MULTIFIELD_VALUE_TYPES.get(name) ?? null;
  const out: Array<{ VALUE_TYPE: string; VALUE: string }> = [];
  rows.forEach((row, i) => {
    if (!isPhpArray(row) || Array.isArray(row)) {
      errors.push(`Field "${title}" (${name}) item #${i} must be an object with VALUE and VALUE_TYPE.`);
      return;
    }
    const rawValue = row.VALUE;
    const val = typeof rawValue === 'string' || typeof rawValue === 'number' ? String(rawValue).trim() : '';
    const type = typeof row.VALUE_TYPE === 'string' ? row.VALUE_TYPE : '';
    let ok = true;
    if (val === '') {
      errors.push(`Field "${title}" (${name}) item #${i} has an empty VALUE.`);
      ok = false;
    }
    if (type === '' || (allowed !== null && !allowed.has(type))) {
      const list = allowed ? ` (allowed: ${[...allowed].join(', ')})` : '';
      errors.push(`Field "${title}" (${name}) item #${i} has an invalid VALUE_TYPE "${type}"${list}.`);
      ok = false;
    }
    if (ok && name === 'EMAIL' && !EMAIL_PATTERN.test(val)) {
      errors.push(`Field "${title}" (${name}) contains an invalid address: "${val}".`);
      ok = false;
    }
    if (ok) out.push({ VALUE_TYPE: type, VALUE: val });
  });
  return out;
}

/** Returns undefined for "not given" so defaults apply (Bitrix treats "" like an absent status). */
function normalizeScalar(name: string, spec: LeadFieldSpec, value: unknown, errors: string[]): string | null | undefined {
  if (Y_OR_N_FIELDS.has(name)) {
    if (value !== 'Y' && value !== 'N') {
      errors.push(`Field "${spec.title}" (${name}) must be "Y" or "N", got ${JSON.stringify(value)}.`);
      return undefined;
    }
    return value;
  }
  switch (spec.type) {
    case 'integer':
    case 'user':
    case 'crm_company':
    case 'crm_contact': {
      const n = phpIntval(value);
      return n > 0 ? String(n) : undefined;
    }
    case 'double': {
      const n = typeof value === 'number' ? value : parseFloat(phpString(value) ?? '');
      return Number.isFinite(n) ? n.toFixed(2) : undefined;
    }
    case 'date':
      return normalizeDate(name, spec, value, errors);
    case 'crm_status': {
      const s = phpString(value);
      if (s === null || s === '') return undefined;
      const list = name === 'SOURCE_ID' ? LEAD_SOURCE_IDS : name === 'STATUS_ID' ? LEAD_STATUS_IDS : null;
      if (list && !list.has(s)) {
        errors.push(`Field "${spec.title}" (${name}) has an unknown value "${s}" (allowed: ${[...list].join(', ')}).`);
        return undefined;
      }
      return s;
    }
    default:
      return phpString(value);
  }
}

function normalizeDate(name: string, spec: LeadFieldSpec, value: unknown, errors: string[]): string | undefined {
  const s = phpString(value);
  if (s === null || s.trim() === '') return undefined;
  // Bitrix accepts ISO dates and the portal's display format (DD.MM.YYYY on RU/EU portals).
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s) ?? /^(\d{2})\.(\d{2})\.(\d{4})/.exec(s);
  const [y, mo, d] = m ? (m[1]?.length === 4 ? [m[1], m[2], m[3]] : [m[3], m[2], m[1]]) : [];
  const date = y && mo && d ? new Date(`${y}-${mo}-${d}T00:00:00Z`) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) {
    errors.push(`Field "${spec.title}" (${name}) has an invalid date "${s}".`);
    return undefined;
  }
  return `${y}-${mo}-${d}T00:00:00+00:00`;
}

/** PHP string cast: arrays become the literal "Array" (with a notice Bitrix swallows). */
function phpString(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '';
  return 'Array';
}

function customValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(customValue);
  if (isPhpArray(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, customValue(v)]));
  return phpString(value as PhpValue);
}

function phpTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}
