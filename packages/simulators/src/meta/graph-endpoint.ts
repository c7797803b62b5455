import { createHmac, randomBytes } from 'node:crypto';
import type { GraphCall, MetaSimState, SimLead } from './sim-state';

export interface GraphAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What Graph returns for a lead when no `fields` are asked for (Retrieving Leads page). */
const DEFAULT_FIELDS = ['created_time', 'id', 'ad_id', 'form_id', 'field_data'];
/** Every field of Graph's Lead object (facebook-python-business-sdk adobjects/lead.py), listed here and not borrowed from leadgate. */
const KNOWN_FIELDS = new Set<string>([
  'ad_id', 'ad_name', 'adset_id', 'adset_name', 'campaign_id', 'campaign_name', 'created_time',
  'custom_disclaimer_responses', 'field_data', 'form_id', 'home_listing', 'id', 'is_organic',
  'partner_name', 'platform', 'post', 'retailer_item_id', 'vehicle',
]);

function graphError(status: number, code: number, type: string, message: string, subcode?: number, extra: Record<string, unknown> = {}): GraphAnswer {
  const error: Record<string, unknown> = { message, type, code, ...extra, fbtrace_id: randomBytes(8).toString('base64url') };
  if (subcode !== undefined) error.error_subcode = subcode;
  return { status, body: { error } };
}

function unsupportedGet(id: string): GraphAnswer {
  return graphError(
    400, 100, 'GraphMethodException',
    `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    33,
  );
}

function pick(lead: SimLead, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: lead.id };
  const source = lead as Record<string, unknown>;
  for (const field of fields) if (source[field] !== undefined) out[field] = source[field];
  return out;
}

/** Answers `GET /{version}/{leadgen_id}` the way the Graph API does, checks and errors included. */
function answer(state: MetaSimState, appSecret: string, method: string, url: URL, call: GraphCall): GraphAnswer {
  const match = /^\/(v[0-9]+\.[0-9]+)\/([^/]+)\/?$/.exec(url.pathname);
  if (!match?.[2]) return graphError(400, 2500, 'OAuthException', 'Unknown path components: ' + url.pathname);
  const leadgenId = decodeURIComponent(match[2]);
  call.leadgenId = leadgenId;
  if (method !== 'GET') return graphError(400, 100, 'GraphMethodException', `Unsupported ${method.toLowerCase()} request.`);

  const injected = state.nextInjection();
  if (injected) {
    const extra = injected.isTransient === undefined ? {} : { is_transient: injected.isTransient };
    return { ...graphError(injected.status, injected.code, injected.type, injected.message, injected.subcode, extra), headers: injected.headers ?? {} };
  }

  const token = url.searchParams.get('access_token');
  if (!token) return graphError(400, 104, 'OAuthException', 'An access token is required to request this resource.');
  if (state.expiredTokens.has(token)) {
    return graphError(400, 190, 'OAuthException', `Error validating access token: Session has expired on ${new Date().toUTCString()}. The current time is ${new Date().toUTCString()}.`, 463);
  }
  const pageId = state.pageOfToken(token);
  if (!pageId) return graphError(400, 190, 'OAuthException', 'Invalid OAuth access token - Cannot parse access token');

  const proof = url.searchParams.get('appsecret_proof');
  if (!proof) return graphError(400, 100, 'GraphMethodException', 'API calls from the server require an appsecret_proof argument');
  // Computed here as Meta documents it, not with leadgate's own helper, so a bug there cannot hide.
  if (proof !== createHmac('sha256', appSecret).update(token).digest('hex')) return graphError(400, 100, 'GraphMethodException', 'Invalid appsecret_proof provided in the API argument');

  const lead = state.leads.get(leadgenId);
  if (!lead || (lead.page_id !== undefined && lead.page_id !== pageId)) return unsupportedGet(leadgenId);

  const fieldsParam = url.searchParams.get('fields');
  const fields = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()).filter(Boolean) : DEFAULT_FIELDS;
  const unknown = fields.find((f) => !KNOWN_FIELDS.has(f));
  if (unknown) return graphError(400, 100, 'OAuthException', `(#100) Tried accessing nonexisting field (${unknown}) on node type (LeadgenInfo)`);
  return { status: 200, body: pick(lead, fields) };
}

/** Answers and records the call (graphCalls() shows what the client really sent). */
export function handleGraphRequest(state: MetaSimState, appSecret: string, method: string, url: URL): GraphAnswer {
  const call: GraphCall = { at: new Date().toISOString(), path: url.pathname, status: 0 };
  const token = url.searchParams.get('access_token');
  const proof = url.searchParams.get('appsecret_proof');
  const fields = url.searchParams.get('fields');
  if (token) call.accessToken = token;
  if (proof) call.appsecretProof = proof;
  if (fields) call.fields = fields.split(',');
  const result = answer(state, appSecret, method, url, call);
  call.status = result.status;
  const error = (result.body as { error?: { code?: number; error_subcode?: number } }).error;
  if (error?.code !== undefined) call.errorCode = error.code;
  if (error?.error_subcode !== undefined) call.errorSubcode = error.error_subcode;
  state.calls.push(call);
  return result;
}
