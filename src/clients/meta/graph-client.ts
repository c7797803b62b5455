import { createHmac } from 'node:crypto';
import { idString, parseJsonExact } from '../../sources/shared/exact-json';
import { classifyGraphError, type GraphErrorBody } from './classify-graph-error';
import { GRAPH_LEAD_FIELDS, type GraphLead } from '../../sources/meta/graph-lead';
import { GraphRequestError, GraphTransientError } from './graph-errors';
import {
  parseForm, parseLeadStub, parseListPage, parseTokenInfo, type GraphForm, type GraphLeadStub, type GraphTokenInfo,
} from './graph-lists';

export type { GraphForm, GraphLeadStub, GraphTokenInfo } from './graph-lists';

export interface MetaGraphClientOptions {
  /** https://graph.facebook.com, or the simulator's graphUrl. */
  graphUrl: string;
  /** v25.0 */
  version: string;
  appSecret: string;
  timeoutMs?: number;
}

/** Meta's "Securing requests": HMAC-SHA256 of the access token keyed by the app secret, hex. */
export function appSecretProof(accessToken: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

function optionalString(target: Record<string, unknown>, source: Record<string, unknown>, key: string): void {
  const value = source[key];
  if (typeof value === 'string') target[key] = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) target[key] = String(value);
}

/** Checks the shape of a 200 answer; undefined when it is not a lead at all. */
export function parseGraphLead(body: unknown): GraphLead | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const raw = body as Record<string, unknown>;
  const id = idString(raw.id);
  if (!id) return undefined;
  const fieldData = Array.isArray(raw.field_data) ? raw.field_data : [];
  const lead: Record<string, unknown> = {
    id,
    field_data: fieldData
      .filter((f): f is Record<string, unknown> => f !== null && typeof f === 'object')
      .map((f) => ({ name: String(f.name ?? ''), values: Array.isArray(f.values) ? f.values.map((v) => String(v)) : [] })),
  };
  for (const key of ['created_time', 'ad_id', 'ad_name', 'adset_id', 'adset_name', 'campaign_id', 'campaign_name', 'form_id', 'platform']) {
    optionalString(lead, raw, key);
  }
  if (typeof raw.is_organic === 'boolean') lead.is_organic = raw.is_organic;
  if (Array.isArray(raw.custom_disclaimer_responses)) {
    lead.custom_disclaimer_responses = raw.custom_disclaimer_responses
      .filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object')
      .map((r) => ({ checkbox_key: String(r.checkbox_key ?? ''), is_checked: typeof r.is_checked === 'boolean' ? r.is_checked : String(r.is_checked ?? '') }));
  }
  return lead as unknown as GraphLead;
}

/** Graph lists are read 100 items a call; a runaway cursor stops after this many pages. */
const LIST_LIMIT = 100;
const MAX_LIST_PAGES = 1000;
/** Only the ids and time of a listed lead: its answers are read by the fetch job, like a webhook's. */
const LEAD_STUB_FIELDS = ['id', 'created_time', 'form_id', 'ad_id'];

/** Ids go into URL paths: only digits, so a forged id cannot reach another endpoint. */
function checkId(id: string, what: string): void {
  if (!/^[0-9]{1,32}$/.test(id)) throw new GraphRequestError(`not a Meta ${what} id: ${JSON.stringify(id.slice(0, 40))}`);
}

/**
 * Reads the Graph API with a Page token and its appsecret_proof: one lead, a Page's lead forms, a
 * form's leads since a time (every page), and what debug_token says about a token. Every failure
 * is a MetaGraphError (see graph-errors.ts); messages never contain the token.
 */
export class MetaGraphClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: MetaGraphClientOptions) {
    this.base = `${options.graphUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.version)}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** GET `path` with the token and its proof; the parsed body of a 2xx without `error`, else the classified error. */
  private async get(path: string, params: Record<string, string>, accessToken: string): Promise<{ body: unknown; status: number; size: number }> {
    const query = new URLSearchParams({ ...params, access_token: accessToken, appsecret_proof: appSecretProof(accessToken, this.options.appSecret) });
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}/${path}?${query.toString()}`, { signal: AbortSignal.timeout(this.timeoutMs) });
      text = await response.text();
    } catch (err) {
      const reason = (err as { name?: unknown } | null)?.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'network error';
      throw new GraphTransientError(`Meta Graph API unreachable (${reason}); retrying.`, {});
    }
    let body: unknown;
    try {
      body = parseJsonExact(text);
    } catch {
      body = undefined;
    }
    const error = (body as { error?: GraphErrorBody } | undefined)?.error;
    if (!response.ok || (error && typeof error === 'object')) {
      throw classifyGraphError(response.status, error, response.headers.get('x-business-use-case-usage'));
    }
    return { body, status: response.status, size: text.length };
  }

  async fetchLead(leadgenId: string, pageAccessToken: string): Promise<GraphLead> {
    checkId(leadgenId, 'lead');
    const { body, status, size } = await this.get(leadgenId, { fields: GRAPH_LEAD_FIELDS.join(',') }, pageAccessToken);
    const lead = parseGraphLead(body);
    // A 200 that is not a lead is a proxy or an outage page: worth another try, not a dead letter.
    if (!lead) throw new GraphTransientError(`Meta Graph API answered 200 without a lead (${size} bytes); retrying.`, { status });
    return lead;
  }

  /** Every item of a Graph list, following `paging.cursors.after` while Graph gives a `paging.next`. */
  private async listAll<T>(path: string, params: Record<string, string>, token: string, item: (raw: Record<string, unknown>) => T | undefined): Promise<T[]> {
    const items: T[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const { body, status, size } = await this.get(path, { ...params, limit: String(LIST_LIMIT), ...(after ? { after } : {}) }, token);
      const parsed = parseListPage(body, item);
      if (!parsed) throw new GraphTransientError(`Meta Graph API answered 200 without a list (${size} bytes); retrying.`, { status });
      items.push(...parsed.items);
      if (parsed.after === undefined || parsed.after === after) return items;
      after = parsed.after;
    }
    throw new GraphTransientError(`Meta Graph API list ${path.replace(/^[0-9]+/, '{id}')} went on for more than ${MAX_LIST_PAGES} pages; stopped.`, {});
  }

  /** `GET /{page-id}/leadgen_forms`: every lead form of the Page (id, name, status). */
  async listForms(pageId: string, pageAccessToken: string): Promise<GraphForm[]> {
    checkId(pageId, 'Page');
    return this.listAll(`${pageId}/leadgen_forms`, { fields: 'id,name,status' }, pageAccessToken, parseForm);
  }

  /** `GET /{form-id}/leads` created after `sinceUnix` (seconds): ids and time of each, every page. */
  async leadsSince(formId: string, pageAccessToken: string, sinceUnix: number): Promise<GraphLeadStub[]> {
    checkId(formId, 'form');
    const filtering = JSON.stringify([{ field: 'time_created', operator: 'GREATER_THAN', value: Math.floor(sinceUnix) }]);
    return this.listAll(`${formId}/leads`, { fields: LEAD_STUB_FIELDS.join(','), filtering }, pageAccessToken, parseLeadStub);
  }

  /**
   * `GET /debug_token`: what Meta says about `inputToken`, asked with `accessToken` (the app token
   * `{app-id}|{app-secret}`, or a valid token of the app: the Page token itself).
   */
  async inspectToken(inputToken: string, accessToken: string): Promise<GraphTokenInfo> {
    const { body, status, size } = await this.get('debug_token', { input_token: inputToken }, accessToken);
    const info = parseTokenInfo(body);
    if (!info) throw new GraphTransientError(`Meta Graph API answered debug_token without data (${size} bytes); retrying.`, { status });
    return info;
  }
}
