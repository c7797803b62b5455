import { DEFAULT_LEAD_FIELDS, graphError, isAnswer, pick, pickLead, requestedFields, unsupportedGet, type GraphAnswer } from './graph-answers';
import type { MetaSimState, SimLead } from './sim-state';

const FORM_FIELDS = new Set(['id', 'name', 'status', 'leads_count', 'locale', 'created_time', 'expired_leads_count']);
const DEFAULT_FORM_FIELDS = ['id', 'name', 'status'];
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 500;

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  const match = /^offset:([0-9]{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * One page of a Graph list: `data`, and `paging.cursors.before/after` whenever there is data, with
 * `paging.next` (the same call with `after`) only while more items follow, as Graph documents it.
 */
function pageOf(items: Array<Record<string, unknown>>, url: URL, baseUrl: string): GraphAnswer {
  const limitParam = url.searchParams.get('limit');
  const limit = limitParam === null ? DEFAULT_LIMIT : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1) return graphError(400, 100, 'OAuthException', '(#100) Param limit must be a positive integer');
  const after = url.searchParams.get('after');
  const offset = after === null ? 0 : decodeCursor(after);
  if (offset === undefined) return graphError(400, 100, 'OAuthException', '(#100) The after cursor is not valid');
  const data = items.slice(offset, offset + Math.min(limit, MAX_LIMIT));
  const body: Record<string, unknown> = { data };
  if (data.length > 0) {
    const end = offset + data.length;
    const paging: Record<string, unknown> = { cursors: { before: encodeCursor(offset), after: encodeCursor(end) } };
    if (end < items.length) {
      const next = new URL(`${baseUrl}${url.pathname}`);
      for (const [key, value] of url.searchParams) if (key !== 'after') next.searchParams.set(key, value);
      next.searchParams.set('after', encodeCursor(end));
      paging.next = next.toString();
    }
    body.paging = paging;
  }
  return { status: 200, body };
}

function unixOf(lead: SimLead): number {
  const parsed = lead.created_time ? Date.parse(lead.created_time.replace(/\+0000$/, 'Z')) : NaN;
  return Number.isNaN(parsed) ? 0 : Math.floor(parsed / 1000);
}

type TimeFilter = (createdUnix: number) => boolean;

/** `filtering=[{"field":"time_created","operator":"GREATER_THAN","value":<unix>}]` (LESS_THAN too). */
function parseFiltering(param: string | null): TimeFilter | GraphAnswer {
  if (param === null) return () => true;
  let rules: unknown;
  try {
    rules = JSON.parse(param);
  } catch {
    return graphError(400, 100, 'OAuthException', '(#100) param filtering must be an array.');
  }
  if (!Array.isArray(rules)) return graphError(400, 100, 'OAuthException', '(#100) param filtering must be an array.');
  const checks: TimeFilter[] = [];
  for (const rule of rules as Array<Record<string, unknown>>) {
    const value = Number(rule?.value);
    const supported = rule?.field === 'time_created' && (rule.operator === 'GREATER_THAN' || rule.operator === 'LESS_THAN');
    if (!supported || !Number.isFinite(value)) {
      return graphError(400, 100, 'OAuthException', `(#100) Filtering field ${String(rule?.field)} with operation ${String(rule?.operator)} is not supported`);
    }
    checks.push(rule.operator === 'GREATER_THAN' ? (t) => t > value : (t) => t < value);
  }
  return (t) => checks.every((check) => check(t));
}

/** `GET /{page-id}/leadgen_forms`: the Page's forms, for a token of that Page. */
export function listForms(state: MetaSimState, tokenPage: string, pageId: string, url: URL, baseUrl: string): GraphAnswer {
  if (tokenPage !== pageId) return unsupportedGet(pageId);
  const fields = requestedFields(url, DEFAULT_FORM_FIELDS, FORM_FIELDS, 'LeadgenForm');
  if (isAnswer(fields)) return fields;
  const leads = [...state.leads.values()];
  const forms = [...state.forms.values()]
    .filter((form) => form.page_id === pageId)
    .map((form) => pick({ ...form, leads_count: leads.filter((l) => l.form_id === form.id).length, locale: 'en_US' }, fields));
  return pageOf(forms, url, baseUrl);
}

/** `GET /{form-id}/leads`: the form's leads, newest first, filtered by `time_created`. */
export function listLeads(state: MetaSimState, tokenPage: string, formId: string, url: URL, baseUrl: string): GraphAnswer {
  const form = state.forms.get(formId);
  if (!form || form.page_id !== tokenPage) return unsupportedGet(formId);
  const fields = requestedFields(url, DEFAULT_LEAD_FIELDS);
  if (isAnswer(fields)) return fields;
  const filter = parseFiltering(url.searchParams.get('filtering'));
  if (isAnswer(filter)) return filter;
  const leads = [...state.leads.values()]
    .filter((lead) => lead.form_id === formId && filter(unixOf(lead)))
    .sort((a, b) => unixOf(b) - unixOf(a))
    .map((lead) => pickLead(lead, fields));
  return pageOf(leads, url, baseUrl);
}
