import type { GraphTokenInfo } from '../clients/meta/graph-client';
import type { GraphErrorDetails } from '../clients/meta/graph-errors';

/**
 * What a Page token is worth for reading leads:
 * - `ok`: valid, can read leads, not expiring soon;
 * - `expiring` (the token or its data access ends within warnDays) and `missing_permission` (no
 *   leads_retrieval for this Page): reads go on, /readyz is degraded so someone acts before leads fail;
 * - `expired` and `invalid`: reads of this Page wait (`paused`) until the token is replaced.
 */
export type MetaTokenStatus = 'ok' | 'expiring' | 'missing_permission' | 'expired' | 'invalid';

export interface MetaTokenHealth {
  status: MetaTokenStatus;
  paused: boolean;
  /** What is wrong and what the operator does about it; absent when ok. */
  reason?: string;
  /** Unix seconds; 0 = never. Absent when Meta did not say (a rejected call). */
  expiresAt?: number;
  dataAccessExpiresAt?: number;
  checkedAt: string;
  /** `debug_token`, or `graph_error` when a read was refused with an auth error between checks. */
  via: 'debug_token' | 'graph_error';
}

const REPLACE = (pageId: string) =>
  `issue a new long-lived Page access token (from a user who can advertise on the Page, with leads_retrieval), set it in sources.meta.pages.${pageId}.accessToken and restart the workers; waiting reads then resume`;

const iso = (unix: number) => new Date(unix * 1000).toISOString();

function paused(status: 'expired' | 'invalid', reason: string, now: number, info?: GraphTokenInfo): MetaTokenHealth {
  const health: MetaTokenHealth = { status, paused: true, reason, checkedAt: new Date(now).toISOString(), via: info ? 'debug_token' : 'graph_error' };
  if (info) {
    health.expiresAt = info.expiresAt;
    health.dataAccessExpiresAt = info.dataAccessExpiresAt;
  }
  return health;
}

/** The leads_retrieval grant covers this Page: listed in scopes and, when Meta names targets, for this Page. */
function canReadLeads(info: GraphTokenInfo, pageId: string): boolean {
  if (!info.scopes.includes('leads_retrieval')) return false;
  const targets = info.granularScopes.get('leads_retrieval');
  return targets === undefined || targets.length === 0 || targets.includes(pageId);
}

/** Judges a debug_token answer for one Page (`now` in ms). */
export function assessToken(info: GraphTokenInfo, pageId: string, now: number, warnDays: number): MetaTokenHealth {
  const nowUnix = Math.floor(now / 1000);
  const base = { checkedAt: new Date(now).toISOString(), via: 'debug_token' as const, expiresAt: info.expiresAt, dataAccessExpiresAt: info.dataAccessExpiresAt };
  if (info.expiresAt > 0 && info.expiresAt <= nowUnix) {
    return paused('expired', `the Page token of ${pageId} expired at ${iso(info.expiresAt)}; reads of this Page wait: ${REPLACE(pageId)}`, now, info);
  }
  if (!info.isValid) {
    const said = info.error?.message ? ` (Meta: "${info.error.message}")` : '';
    const status = info.error?.subcode === 463 ? 'expired' : 'invalid';
    return paused(status, `Meta says the Page token of ${pageId} is not valid${said}; reads of this Page wait: ${REPLACE(pageId)}`, now, info);
  }
  if (!canReadLeads(info, pageId)) {
    return {
      ...base, status: 'missing_permission', paused: false,
      reason: `the Page token of ${pageId} cannot read leads of this Page (no leads_retrieval for it; scopes: ${info.scopes.join(', ') || 'none'}): leads will be dead-lettered until a token with leads_retrieval (and Leads Access Manager access) is set in sources.meta.pages.${pageId}.accessToken`,
    };
  }
  const warnBefore = nowUnix + warnDays * 86400;
  const ends = [['token', info.expiresAt], ['data access', info.dataAccessExpiresAt]] as const;
  const soon = ends.filter(([, at]) => at > 0 && at <= warnBefore).sort((a, b) => a[1] - b[1])[0];
  if (soon) {
    const days = ((soon[1] - nowUnix) / 86400).toFixed(1);
    const what = soon[0] === 'token' ? 'the Page token' : "the Page token's data access";
    return {
      ...base, status: 'expiring', paused: false,
      reason: `${what} of ${pageId} expires at ${iso(soon[1])} (in ${days} days): ${REPLACE(pageId)}`,
    };
  }
  return { ...base, status: 'ok', paused: false };
}

/** A call was refused with an auth error (code 190 and kin): the token is dead now. */
export function tokenRejected(pageId: string, err: { details: GraphErrorDetails }, now: number): MetaTokenHealth {
  const { code, subcode, graphMessage } = err.details;
  const codes = [code !== undefined ? `code ${code}` : '', subcode !== undefined ? `subcode ${subcode}` : ''].filter(Boolean).join(', ');
  const said = graphMessage ? `: "${graphMessage}"` : '';
  const status = subcode === 463 ? 'expired' : 'invalid';
  return paused(status, `Meta refused the Page token of ${pageId} (${codes || 'auth error'})${said}; reads of this Page wait: ${REPLACE(pageId)}`, now);
}
