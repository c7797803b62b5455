import {
  GraphAuthError, GraphPermissionError, GraphRateLimitedError, GraphRequestError, GraphTransientError,
  type GraphErrorDetails, type MetaGraphError,
} from './graph-errors';

/** The `error` object of a Graph API error answer. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  fbtrace_id?: string;
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
const AUTH_CODES = new Set([102, 104, 190]);
const AUTH_SUBCODES = new Map([
  [458, 'the app is not installed'],
  [459, 'the user is checkpointed'],
  [460, 'the password was changed'],
  [463, 'the token has expired'],
  [464, 'the user is unconfirmed'],
  [467, 'the token is invalid'],
]);

const NEW_TOKEN =
  'issue a new long-lived Page access token (from a user who can advertise on the Page, with leads_retrieval) and set it in sources.meta.pages.<page id>.accessToken';
const PERMISSIONS =
  'the Page token needs leads_retrieval, pages_show_list, pages_read_engagement, pages_manage_ads and ads_management; its user must be allowed in the Page\'s Leads Access Manager and the app must be Live';

function isRateLimit(code: number | undefined, status: number): boolean {
  if (code === undefined) return status === 429;
  return RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014);
}

function isPermission(code: number | undefined, subcode: number | undefined): boolean {
  if (code === undefined) return false;
  return code === 3 || code === 10 || (code >= 200 && code <= 299) || (code === 100 && subcode === 33);
}

/**
 * Minutes until the Business Use Case quota is back, from `X-Business-Use-Case-Usage`
 * (`{"<id>":[{"type":"leadgen","estimated_time_to_regain_access":5,…}]}`), as milliseconds.
 */
export function retryAfterFromUsage(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  try {
    const usage = JSON.parse(header) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    let minutes = 0;
    for (const list of Object.values(usage)) {
      for (const item of Array.isArray(list) ? list : []) minutes = Math.max(minutes, Number(item.estimated_time_to_regain_access) || 0);
    }
    return minutes > 0 ? minutes * 60_000 : undefined;
  } catch {
    return undefined;
  }
}

function label(details: GraphErrorDetails): string {
  const parts = [`HTTP ${details.status ?? '?'}`];
  if (details.code !== undefined) parts.push(`code ${details.code}`);
  if (details.subcode !== undefined) parts.push(`subcode ${details.subcode}`);
  return parts.join(', ');
}

/** Turns a Graph error answer (or a bare status) into the typed error the worker acts on. */
export function classifyGraphError(status: number, error: GraphErrorBody | undefined, usageHeader?: string | null): MetaGraphError {
  const details: GraphErrorDetails = { status };
  if (typeof error?.code === 'number') details.code = error.code;
  if (typeof error?.error_subcode === 'number') details.subcode = error.error_subcode;
  if (typeof error?.type === 'string') details.type = error.type;
  if (typeof error?.fbtrace_id === 'string') details.fbtraceId = error.fbtrace_id;
  if (typeof error?.message === 'string') details.graphMessage = error.message.slice(0, 500);
  const { code, subcode } = details;
  const said = details.graphMessage ? ` Meta said: "${details.graphMessage}"` : '';
  const where = label(details);

  if (isRateLimit(code, status)) {
    return new GraphRateLimitedError(`Meta Graph API rate limit reached (${where}); retrying later.${said}`, details, retryAfterFromUsage(usageHeader));
  }
  if ((code !== undefined && AUTH_CODES.has(code)) || (subcode !== undefined && AUTH_SUBCODES.has(subcode))) {
    const why = (subcode !== undefined && AUTH_SUBCODES.get(subcode)) || 'the token was rejected';
    return new GraphAuthError(`Meta Page access token rejected (${where}: ${why}): ${NEW_TOKEN}.${said}`, details);
  }
  if (isPermission(code, subcode)) {
    const what = code === 100 ? 'the lead does not exist or cannot be read with this token' : 'permission denied';
    return new GraphPermissionError(`Meta Graph API cannot read the lead (${where}: ${what}): ${PERMISSIONS}.${said}`, details);
  }
  if (code === 1 || code === 2 || error?.is_transient === true || status >= 500) {
    return new GraphTransientError(`Meta Graph API temporarily failed (${where}); retrying.${said}`, details);
  }
  return new GraphRequestError(`Meta Graph API refused the request (${where}); check sources.meta (app secret, Graph version).${said}`, details);
}
