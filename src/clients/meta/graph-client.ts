import { createHmac } from 'node:crypto';
import { idString, parseJsonExact } from '../../sources/shared/exact-json';
import { classifyGraphError, type GraphErrorBody } from './classify-graph-error';
import { GRAPH_LEAD_FIELDS, type GraphLead } from '../../sources/meta/graph-lead';
import { GraphRequestError, GraphTransientError } from './graph-errors';

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

/**
 * Reads one lead from the Graph API with a Page token and its appsecret_proof. Every failure is a
 * MetaGraphError (see graph-errors.ts); messages never contain the token.
 */
export class MetaGraphClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: MetaGraphClientOptions) {
    this.base = `${options.graphUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.version)}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async fetchLead(leadgenId: string, pageAccessToken: string): Promise<GraphLead> {
    // The id goes into the URL path: only digits, so a forged id cannot reach another endpoint.
    if (!/^[0-9]{1,32}$/.test(leadgenId)) throw new GraphRequestError(`not a Meta lead id: ${JSON.stringify(leadgenId.slice(0, 40))}`);
    const query = new URLSearchParams({
      fields: GRAPH_LEAD_FIELDS.join(','),
      access_token: pageAccessToken,
      appsecret_proof: appSecretProof(pageAccessToken, this.options.appSecret),
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}/${leadgenId}?${query.toString()}`, { signal: AbortSignal.timeout(this.timeoutMs) });
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
    const lead = parseGraphLead(body);
    // A 200 that is not a lead is a proxy or an outage page: worth another try, not a dead letter.
    if (!lead) throw new GraphTransientError(`Meta Graph API answered 200 without a lead (${text.length} bytes); retrying.`, { status: response.status });
    return lead;
  }
}
