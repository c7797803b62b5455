import type { GraphLead } from './meta-wire';

/** A lead the simulated Graph API serves. `page_id` ties it to one Page's token (any Page when absent). */
export type SimLead = Partial<GraphLead> & { id: string; page_id?: string };

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
    this.injections.length = 0;
    this.calls.length = 0;
  }
}
