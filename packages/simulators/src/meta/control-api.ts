import type { IncomingMessage } from 'node:http';
import type { LeadgenNotification } from './meta-wire';
import type { GraphErrorInjection, SimForm, SimLead, SimTokenInfo } from './sim-state';
import type { MetaSimulator } from './meta-simulator-types';
import type { SendWebhookOptions } from './webhook-sender';

export interface ControlAnswer {
  status: number;
  body?: unknown;
}

const MAX_BODY = 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

type Body = Record<string, unknown>;

function asObject(value: unknown): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  return value as Body;
}

function requireString(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') throw new Error(`${key} must be a non-empty string`);
  return value;
}

function tokenInfo(body: Body): Partial<SimTokenInfo> {
  const info: Partial<SimTokenInfo> = {};
  if (body.isValid !== undefined) {
    if (typeof body.isValid !== 'boolean') throw new Error('isValid must be a boolean');
    info.isValid = body.isValid;
  }
  for (const key of ['expiresAt', 'dataAccessExpiresAt'] as const) {
    if (body[key] === undefined) continue;
    if (!Number.isInteger(body[key]) || (body[key] as number) < 0) throw new Error(`${key} must be Unix seconds (0 = never)`);
    info[key] = body[key] as number;
  }
  if (body.scopes !== undefined) {
    if (!Array.isArray(body.scopes) || !body.scopes.every((s) => typeof s === 'string')) throw new Error('scopes must be a list of strings');
    info.scopes = body.scopes as string[];
  }
  return info;
}

/**
 * `/_sim/…`: the simulator's methods over HTTP, for `leadgate sim meta` driven from another process.
 *   POST /_sim/leads                 SimLead (no webhook is sent)         → 201 {id}
 *   POST /_sim/forms                 {id, page_id, name?, status?}        → 201 SimForm
 *   POST /_sim/tokens                {token, isValid?, expiresAt?, dataAccessExpiresAt?, scopes?} → 204
 *   POST /_sim/slow-graph            {ms, count?}                         → 204
 *   POST /_sim/graph-errors          GraphErrorInjection                  → 204
 *   POST /_sim/tokens/expire         {token}                              → 204
 *   PUT  /_sim/pages/{pageId}/token  {token}                              → 204
 *   POST /_sim/webhooks              {targetUrl, notifications, ...opts}  → 200 {status, body}
 *   POST /_sim/subscribe             {targetUrl, verifyToken, challenge?} → 200 {status, body}
 *   GET  /_sim/graph-calls                                                → 200 [GraphCall]
 *   POST /_sim/reset                                                      → 204
 */
export async function handleControl(sim: MetaSimulator, method: string, path: string, req: IncomingMessage): Promise<ControlAnswer> {
  const route = `${method} ${path}`;
  if (route === 'GET /_sim/graph-calls') return { status: 200, body: sim.graphCalls() };
  if (route === 'POST /_sim/reset') {
    sim.reset();
    return { status: 204 };
  }
  const pageToken = /^PUT \/_sim\/pages\/([0-9]+)\/token$/.exec(route);
  const routes = ['POST /_sim/leads', 'POST /_sim/forms', 'POST /_sim/tokens', 'POST /_sim/slow-graph', 'POST /_sim/graph-errors', 'POST /_sim/tokens/expire', 'POST /_sim/webhooks', 'POST /_sim/subscribe'];
  if (!routes.includes(route) && !pageToken) {
    return { status: 404, body: { error: `no control route ${route}` } };
  }
  const body = asObject(await readJson(req));
  if (pageToken?.[1]) {
    sim.setPageToken(pageToken[1], requireString(body, 'token'));
    return { status: 204 };
  }
  switch (route) {
    case 'POST /_sim/leads':
      requireString(body, 'id');
      return { status: 201, body: { id: sim.addLead(body as SimLead).id } };
    case 'POST /_sim/forms':
      requireString(body, 'id');
      requireString(body, 'page_id');
      return { status: 201, body: sim.addForm(body as unknown as SimForm) };
    case 'POST /_sim/tokens': {
      const { token, ...info } = body;
      if (typeof token !== 'string' || token === '') throw new Error('token must be a non-empty string');
      sim.setTokenInfo(token, tokenInfo(info));
      return { status: 204 };
    }
    case 'POST /_sim/graph-errors':
      sim.injectGraphError(body as unknown as GraphErrorInjection);
      return { status: 204 };
    case 'POST /_sim/slow-graph':
      sim.slowGraph(Number(body.ms), Number(body.count ?? 1));
      return { status: 204 };
    case 'POST /_sim/tokens/expire':
      sim.expireToken(requireString(body, 'token'));
      return { status: 204 };
    case 'POST /_sim/subscribe': {
      const response = await sim.subscribe(requireString(body, 'targetUrl'), requireString(body, 'verifyToken'), body.challenge as string | undefined);
      return { status: 200, body: { status: response.status, body: await response.text() } };
    }
    default: {
      const { targetUrl, notifications, ...options } = body;
      if (typeof targetUrl !== 'string' || !Array.isArray(notifications)) throw new Error('targetUrl and notifications[] are required');
      const response = await sim.sendWebhook(targetUrl, notifications as Array<LeadgenNotification | string>, options as SendWebhookOptions);
      return { status: 200, body: { status: response.status, body: await response.text() } };
    }
  }
}
