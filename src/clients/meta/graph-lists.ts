import { idString } from '../../sources/shared/exact-json';

/** A Page's lead form, as `GET /{page-id}/leadgen_forms?fields=id,name,status` lists it. */
export interface GraphForm {
  id: string;
  name?: string;
  /** ACTIVE, ARCHIVED, DELETED or DRAFT. */
  status?: string;
}

/** What a backfill needs of a listed lead: ids and time only, no answers (those are read by the fetch job). */
export interface GraphLeadStub {
  id: string;
  created_time?: string;
  form_id?: string;
  ad_id?: string;
}

/** One page of a Graph list: its items and the cursor of the next page, when Graph says there is one. */
export interface GraphListPage<T> {
  items: T[];
  /** `paging.cursors.after`, present only while `paging.next` is (Graph: stop when `next` is absent). */
  after?: string;
}

function records(body: unknown): Array<Record<string, unknown>> | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  return data.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item));
}

function nextCursor(body: unknown): string | undefined {
  const paging = (body as { paging?: { next?: unknown; cursors?: { after?: unknown } } }).paging;
  if (typeof paging?.next !== 'string') return undefined;
  const after = paging.cursors?.after;
  return typeof after === 'string' && after !== '' ? after : undefined;
}

/** A list answer's shape checked; undefined when the 200 is not a Graph list at all. */
export function parseListPage<T>(body: unknown, item: (raw: Record<string, unknown>) => T | undefined): GraphListPage<T> | undefined {
  const raw = records(body);
  if (!raw) return undefined;
  const items = raw.map(item).filter((value): value is T => value !== undefined);
  const after = nextCursor(body);
  return after === undefined ? { items } : { items, after };
}

export function parseForm(raw: Record<string, unknown>): GraphForm | undefined {
  const id = idString(raw.id);
  if (!id) return undefined;
  const form: GraphForm = { id };
  if (typeof raw.name === 'string') form.name = raw.name;
  if (typeof raw.status === 'string') form.status = raw.status;
  return form;
}

export function parseLeadStub(raw: Record<string, unknown>): GraphLeadStub | undefined {
  const id = idString(raw.id);
  if (!id) return undefined;
  const lead: GraphLeadStub = { id };
  if (typeof raw.created_time === 'string') lead.created_time = raw.created_time;
  const formId = idString(raw.form_id);
  const adId = idString(raw.ad_id);
  if (formId) lead.form_id = formId;
  if (adId) lead.ad_id = adId;
  return lead;
}

/** What `debug_token` says about a token. Times in Unix seconds; 0 = never. */
export interface GraphTokenInfo {
  isValid: boolean;
  expiresAt: number;
  dataAccessExpiresAt: number;
  scopes: string[];
  /** scope → the object ids it is limited to (a Page token's leads_retrieval names its Page). */
  granularScopes: Map<string, string[] | undefined>;
  type?: string;
  /** Meta's reason when the token is not valid (code 190 and its message). */
  error?: { code?: number; subcode?: number; message?: string };
}

function seconds(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

export function parseTokenInfo(body: unknown): GraphTokenInfo | undefined {
  const data = (body as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const raw = data as Record<string, unknown>;
  if (typeof raw.is_valid !== 'boolean') return undefined;
  const granularScopes = new Map<string, string[] | undefined>();
  for (const entry of Array.isArray(raw.granular_scopes) ? raw.granular_scopes : []) {
    const scope = (entry as { scope?: unknown } | null)?.scope;
    const targets = (entry as { target_ids?: unknown }).target_ids;
    if (typeof scope === 'string') granularScopes.set(scope, Array.isArray(targets) ? targets.map((t) => idString(t) ?? String(t)) : undefined);
  }
  const info: GraphTokenInfo = {
    isValid: raw.is_valid,
    expiresAt: seconds(raw.expires_at),
    dataAccessExpiresAt: seconds(raw.data_access_expires_at),
    scopes: Array.isArray(raw.scopes) ? raw.scopes.filter((s): s is string => typeof s === 'string') : [],
    granularScopes,
  };
  if (typeof raw.type === 'string') info.type = raw.type;
  const error = raw.error as Record<string, unknown> | undefined;
  if (error && typeof error === 'object') {
    info.error = {};
    if (typeof error.code === 'number') info.error.code = error.code;
    if (typeof error.subcode === 'number') info.error.subcode = error.subcode;
    if (typeof error.message === 'string') info.error.message = error.message.slice(0, 300);
  }
  return info;
}
