import type { GraphLead } from './meta-wire';

/** A lead the simulated Graph API serves. `page_id` ties it to one Page's token (any Page when absent). */
export type SimLead = Partial<GraphLead> & { id: string; page_id?: string };

/** A lead form of a Page, as `GET /{page-id}/leadgen_forms` lists it. */
export interface SimForm {
  id: string;
  page_id: string;
  name: string;
  status: 'ACTIVE' | 'ARCHIVED' | 'DELETED' | 'DRAFT';
}

/** What `debug_token` says about a token; Unix seconds, 0 = never. */
export interface SimTokenInfo {
  isValid: boolean;
  expiresAt: number;
  dataAccessExpiresAt: number;
  scopes: string[];
}

/** What a long-lived Page token of an app with every Lead Ads permission carries. */
export const FULL_SCOPES = ['ads_management', 'leads_retrieval', 'pages_show_list', 'pages_read_engagement', 'pages_manage_ads', 'pages_manage_metadata'];

/** The next `count` Graph calls fail this way (before any token check, like Meta-side limits). */
export interface GraphErrorInjection {
  count: number;
  status: number;
  code: number;
  subcode?: number;
  message: string;
  type: string;
  isTransient?: boolean;
  /** e.g. X-Business-Use-Case-Usage for a rate limit with estimated_time_to_regain_access. */
  headers?: Record<string, string>;
}

export interface GraphCall {
  at: string;
  path: string;
  leadgenId?: string;
  accessToken?: string;
  appsecretProof?: string;
  fields?: string[];
  status: number;
  errorCode?: number;
  errorSubcode?: number;
}

/** Graph's own timestamp format: 2015-02-28T08:49:14+0000. */
export function graphTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** Everything the simulator remembers; one instance per simulator. */
export class MetaSimState {
  readonly leads = new Map<string, SimLead>();
  readonly pageTokens = new Map<string, string>();
  readonly expiredTokens = new Set<string>();
  readonly forms = new Map<string, SimForm>();
  /** Set through setTokenInfo; a token without an entry is valid, never expires and has FULL_SCOPES. */
  readonly tokenInfo = new Map<string, Partial<SimTokenInfo>>();
  readonly injections: GraphErrorInjection[] = [];
  readonly calls: GraphCall[] = [];
  /** Pending slow answers: the next `count` Graph calls are answered after `ms`. */
  readonly slowAnswers: Array<{ ms: number; count: number }> = [];

  constructor(pageTokens: Record<string, string>) {
    for (const [pageId, token] of Object.entries(pageTokens)) this.pageTokens.set(pageId, token);
  }

  addLead(lead: SimLead): SimLead {
    const stored: SimLead = { created_time: graphTime(new Date()), field_data: [], ...lead };
    this.leads.set(lead.id, stored);
    return stored;
  }

  /** Every fact about a token, defaults filled and an expiry in the past or expireToken() making it invalid. */
  describeToken(token: string, now: number = Date.now()): SimTokenInfo & { known: boolean; expired: boolean } {
    const set = this.tokenInfo.get(token) ?? {};
    const info: SimTokenInfo = { isValid: true, expiresAt: 0, dataAccessExpiresAt: 0, scopes: FULL_SCOPES, ...set };
    const expired = this.expiredTokens.has(token) || (info.expiresAt > 0 && info.expiresAt * 1000 <= now);
    const known = this.pageOfToken(token) !== undefined;
    return { ...info, isValid: known && info.isValid && !expired, known, expired };
  }

  /** The Page a token belongs to, or undefined for a token Meta never issued. */
  pageOfToken(token: string): string | undefined {
    for (const [pageId, pageToken] of this.pageTokens) if (pageToken === token) return pageId;
    return undefined;
  }

  /** Takes one failure off the first pending injection. */
  nextInjection(): GraphErrorInjection | undefined {
    const first = this.injections[0];
    if (!first) return undefined;
    first.count -= 1;
    if (first.count <= 0) this.injections.shift();
    return first;
  }

  /** How long to hold the next Graph answer (0 when no slow answer is pending). */
  nextDelay(): number {
    const first = this.slowAnswers[0];
    if (!first) return 0;
    first.count -= 1;
    if (first.count <= 0) this.slowAnswers.shift();
    return first.ms;
  }

  reset(): void {
    this.slowAnswers.length = 0;
    this.leads.clear();
    this.expiredTokens.clear();
    this.forms.clear();
    this.tokenInfo.clear();
    this.injections.length = 0;
    this.calls.length = 0;
  }
}
