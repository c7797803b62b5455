import { createHmac, randomBytes } from 'node:crypto';
import type { MetaSimState, SimLead } from './sim-state';

export interface GraphAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function graphError(status: number, code: number, type: string, message: string, subcode?: number, extra: Record<string, unknown> = {}): GraphAnswer {
  const error: Record<string, unknown> = { message, type, code, ...extra, fbtrace_id: randomBytes(8).toString('base64url') };
  if (subcode !== undefined) error.error_subcode = subcode;
  return { status, body: { error } };
}

export function unsupportedGet(id: string): GraphAnswer {
  return graphError(
    400, 100, 'GraphMethodException',
    `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    33,
  );
}

/** What Graph returns for a lead when no `fields` are asked for (Retrieving Leads page). */
export const DEFAULT_LEAD_FIELDS = ['created_time', 'id', 'ad_id', 'form_id', 'field_data'];
/** Every field of Graph's Lead object (facebook-python-business-sdk adobjects/lead.py), listed here and not borrowed from leadgate. */
const KNOWN_LEAD_FIELDS = new Set<string>([
  'ad_id', 'ad_name', 'adset_id', 'adset_name', 'campaign_id', 'campaign_name', 'created_time',
  'custom_disclaimer_responses', 'field_data', 'form_id', 'home_listing', 'id', 'is_organic',
  'partner_name', 'platform', 'post', 'retailer_item_id', 'vehicle',
]);

/** The `fields` a call asked for, or Graph's (#100) answer naming the first field the node does not have. */
export function requestedFields(url: URL, defaults: string[], known: Set<string> = KNOWN_LEAD_FIELDS, node = 'LeadgenInfo'): string[] | GraphAnswer {
  const param = url.searchParams.get('fields');
  const fields = param ? param.split(',').map((f) => f.trim()).filter(Boolean) : defaults;
  const unknown = fields.find((f) => !known.has(f));
  if (unknown) return graphError(400, 100, 'OAuthException', `(#100) Tried accessing nonexisting field (${unknown}) on node type (${node})`);
  return fields;
}

export function pick(record: Record<string, unknown> & { id: string }, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: record.id };
  for (const field of fields) if (record[field] !== undefined) out[field] = record[field];
  return out;
}

export function pickLead(lead: SimLead, fields: string[]): Record<string, unknown> {
  return pick(lead as Record<string, unknown> & { id: string }, fields);
}

/** Meta's appsecret_proof, computed here as Meta documents it, not with leadgate's helper, so a bug there cannot hide. */
export function proofOf(token: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

/**
 * The checks every Page-token call passes, in Graph's order: a token at all, not expired, issued by
 * Meta, still valid, then the appsecret_proof. Answers the Page the token belongs to.
 */
export function authorizePageToken(state: MetaSimState, appSecret: string, url: URL): { pageId: string } | GraphAnswer {
  const token = url.searchParams.get('access_token');
  if (!token) return graphError(400, 104, 'OAuthException', 'An access token is required to request this resource.');
  const info = state.describeToken(token);
  if (info.expired) {
    return graphError(400, 190, 'OAuthException', `Error validating access token: Session has expired on ${new Date().toUTCString()}. The current time is ${new Date().toUTCString()}.`, 463);
  }
  const pageId = state.pageOfToken(token);
  if (!pageId) return graphError(400, 190, 'OAuthException', 'Invalid OAuth access token - Cannot parse access token');
  if (!info.isValid) return graphError(400, 190, 'OAuthException', 'Error validating access token: The session has been invalidated.', 467);
  const proof = url.searchParams.get('appsecret_proof');
  if (!proof) return graphError(400, 100, 'GraphMethodException', 'API calls from the server require an appsecret_proof argument');
  if (proof !== proofOf(token, appSecret)) return graphError(400, 100, 'GraphMethodException', 'Invalid appsecret_proof provided in the API argument');
  return { pageId };
}

export function isAnswer(value: unknown): value is GraphAnswer {
  return value !== null && typeof value === 'object' && 'status' in value && 'body' in value;
}
