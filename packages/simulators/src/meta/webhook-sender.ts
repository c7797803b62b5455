import { createHmac } from 'node:crypto';
import type { LeadgenNotification } from './meta-wire';
import type { MetaSimState } from './sim-state';

export interface SendWebhookOptions {
  /** Secret to sign with: the simulator's app secret by default; false sends no signature. */
  signWith?: string | false;
  /** Alter the body after signing (one digit of the first leadgen_id), as a forger would. */
  tamper?: boolean;
  /** Write ids as bare JSON numbers, to prove the receiver keeps every digit. */
  numericIds?: boolean;
}

/** A stored lead's id becomes the notification Meta would send for it. */
export function notificationFor(state: MetaSimState, leadgenId: string): LeadgenNotification {
  const lead = state.leads.get(leadgenId);
  if (!lead) throw new Error(`the simulator has no lead ${leadgenId}; addLead() it first`);
  const pageId = lead.page_id ?? state.pageTokens.keys().next().value;
  if (!pageId) throw new Error(`lead ${leadgenId} has no page_id and no page is configured`);
  const note: LeadgenNotification = { leadgenId, pageId };
  if (lead.form_id) note.formId = lead.form_id;
  if (lead.ad_id) note.adId = lead.ad_id;
  if (lead.adset_id) note.adgroupId = lead.adset_id;
  const created = lead.created_time ? Date.parse(lead.created_time.replace(/\+0000$/, 'Z')) : NaN;
  note.createdTime = Math.floor((Number.isNaN(created) ? Date.now() : created) / 1000);
  return note;
}

/**
 * The body Meta sends: notifications grouped into one entry per Page, in order, each a `leadgen`
 * change whose value has only the ids present (test-tool leads have no ad_id or adgroup_id).
 */
export function buildWebhookBody(notifications: LeadgenNotification[], now: Date = new Date(), numericIds = false): string {
  const time = Math.floor(now.getTime() / 1000);
  const entries = new Map<string, { id: string; time: number; changes: Array<{ field: 'leadgen'; value: Record<string, string | number> }> }>();
  for (const note of notifications) {
    const value: Record<string, string | number> = { leadgen_id: note.leadgenId, page_id: note.pageId };
    if (note.formId) value.form_id = note.formId;
    if (note.adgroupId) value.adgroup_id = note.adgroupId;
    if (note.adId) value.ad_id = note.adId;
    value.created_time = note.createdTime ?? time;
    const entry = entries.get(note.pageId) ?? { id: note.pageId, time, changes: [] };
    entry.changes.push({ field: 'leadgen', value });
    entries.set(note.pageId, entry);
  }
  const text = JSON.stringify({ object: 'page', entry: [...entries.values()] });
  return numericIds ? text.replace(/"(id|leadgen_id|page_id|form_id|adgroup_id|ad_id)":"([0-9]+)"/g, '"$1":$2') : text;
}

function tamperWith(body: string): string {
  return body.replace(/("leadgen_id":"?[0-9]*)([0-9])/, (_m, head: string, digit: string) => `${head}${(Number(digit) + 1) % 10}`);
}

/** POSTs a webhook to the receiver like Meta: JSON, X-Hub-Signature-256 (and the legacy sha1 header). */
export async function sendWebhook(targetUrl: string, body: string, appSecret: string, options: SendWebhookOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'facebookexternalua' };
  const secret = options.signWith === undefined ? appSecret : options.signWith;
  if (secret !== false) {
    // Signed as Meta documents it (HMAC-SHA256 of the raw bytes), independently of leadgate's verifier.
    headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    headers['x-hub-signature'] = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
  }
  return fetch(targetUrl, { method: 'POST', headers, body: options.tamper ? tamperWith(body) : body });
}

/** The GET handshake Meta performs when the callback URL is saved. */
export async function sendSubscriptionCheck(targetUrl: string, verifyToken: string, challenge = String(Math.floor(Math.random() * 2 ** 31))): Promise<Response> {
  const url = new URL(targetUrl);
  url.searchParams.set('hub.mode', 'subscribe');
  url.searchParams.set('hub.challenge', challenge);
  url.searchParams.set('hub.verify_token', verifyToken);
  return fetch(url, { method: 'GET', headers: { 'user-agent': 'facebookplatform/1.0' } });
}
