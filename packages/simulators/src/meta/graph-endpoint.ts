import { debugToken } from './debug-token';
import { authorizePageToken, DEFAULT_LEAD_FIELDS, graphError, isAnswer, pickLead, requestedFields, unsupportedGet, type GraphAnswer } from './graph-answers';
import { listForms, listLeads } from './graph-edges';
import type { GraphCall, MetaSimState } from './sim-state';

export type { GraphAnswer } from './graph-answers';

/** Where the answers point (`paging.next`) and who the app is (debug_token). */
export interface GraphContext {
  appId: string;
  appSecret: string;
  baseUrl: string;
}

/**
 * Answers the Graph API calls leadgate makes, checks and errors included:
 *   GET /{version}/{leadgen_id}                lead
 *   GET /{version}/{page_id}/leadgen_forms     the Page's forms (paged)
 *   GET /{version}/{form_id}/leads             the form's leads, `filtering` on time_created (paged)
 *   GET /{version}/debug_token                 what a token is worth
 */
function answer(state: MetaSimState, context: GraphContext, method: string, url: URL, call: GraphCall): GraphAnswer {
  const match = /^\/(v[0-9]+\.[0-9]+)\/([^/]+)(?:\/([a-z_]+))?\/?$/.exec(url.pathname);
  if (!match?.[2]) return graphError(400, 2500, 'OAuthException', 'Unknown path components: ' + url.pathname);
  const id = decodeURIComponent(match[2]);
  const edge = match[3];
  if (edge === undefined && id !== 'debug_token') call.leadgenId = id;
  if (method !== 'GET') return graphError(400, 100, 'GraphMethodException', `Unsupported ${method.toLowerCase()} request.`);

  const injected = state.nextInjection();
  if (injected) {
    const extra = injected.isTransient === undefined ? {} : { is_transient: injected.isTransient };
    return { ...graphError(injected.status, injected.code, injected.type, injected.message, injected.subcode, extra), headers: injected.headers ?? {} };
  }
  if (id === 'debug_token' && edge === undefined) return debugToken(state, context.appId, context.appSecret, url);

  const caller = authorizePageToken(state, context.appSecret, url);
  if (isAnswer(caller)) return caller;
  if (edge === 'leadgen_forms') return listForms(state, caller.pageId, id, url, context.baseUrl);
  if (edge === 'leads') return listLeads(state, caller.pageId, id, url, context.baseUrl);
  if (edge !== undefined) return graphError(400, 2500, 'OAuthException', `Unknown path components: /${edge}`);

  const lead = state.leads.get(id);
  if (!lead || (lead.page_id !== undefined && lead.page_id !== caller.pageId)) return unsupportedGet(id);
  const fields = requestedFields(url, DEFAULT_LEAD_FIELDS);
  if (isAnswer(fields)) return fields;
  return { status: 200, body: pickLead(lead, fields) };
}

/** Answers and records the call (graphCalls() shows what the client really sent). */
export function handleGraphRequest(state: MetaSimState, context: GraphContext, method: string, url: URL): GraphAnswer {
  const call: GraphCall = { at: new Date().toISOString(), path: url.pathname, status: 0 };
  const token = url.searchParams.get('access_token');
  const proof = url.searchParams.get('appsecret_proof');
  const fields = url.searchParams.get('fields');
  if (token) call.accessToken = token;
  if (proof) call.appsecretProof = proof;
  if (fields) call.fields = fields.split(',');
  const result = answer(state, context, method, url, call);
  call.status = result.status;
  const error = (result.body as { error?: { code?: number; error_subcode?: number } }).error;
  if (error?.code !== undefined) call.errorCode = error.code;
  if (error?.error_subcode !== undefined) call.errorSubcode = error.error_subcode;
  state.calls.push(call);
  return result;
}
