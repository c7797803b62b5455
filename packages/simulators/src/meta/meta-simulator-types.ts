import type { LeadgenNotification } from './meta-wire';
import type { GraphCall, GraphErrorInjection, SimForm, SimLead, SimTokenInfo } from './sim-state';
import type { SendWebhookOptions } from './webhook-sender';

export interface MetaSimulatorOptions {
  port?: number;
  host?: string;
  appSecret: string;
  /** The app's id: `{appId}|{appSecret}` is the app token debug_token accepts. Default 1000000000000001. */
  appId?: string;
  /** Page id → the Page access token Graph accepts for it. */
  pageTokens: Record<string, string>;
}

export interface MetaSimulator {
  /** Base URL of the simulator (control API under /_sim/). */
  url: string;
  /** What to configure as sources.meta.graphUrl. */
  graphUrl: string;
  /** The app token (`{appId}|{appSecret}`) debug_token accepts as its access_token. */
  appToken: string;
  /** A lead Graph serves (and lists under its form_id); no webhook is sent for it. */
  addLead(lead: SimLead): SimLead;
  /** A lead form of a Page, listed by `/{page-id}/leadgen_forms`; status ACTIVE and a name by default. */
  addForm(form: Pick<SimForm, 'id' | 'page_id'> & Partial<SimForm>): SimForm;
  /** What debug_token says about a token (validity, expiry in Unix seconds, scopes); Graph calls with it follow. */
  setTokenInfo(token: string, info: Partial<SimTokenInfo>): void;
  injectGraphError(injection: GraphErrorInjection): void;
  /** The next `count` Graph calls are answered only after `ms` (a slow or hanging Graph API). */
  slowGraph(ms: number, count: number): void;
  /** Graph now answers 190/463 for this token. */
  expireToken(token: string): void;
  /** Issue a (new) token for a page, as an operator would after an expiry. */
  setPageToken(pageId: string, token: string): void;
  /** Notifications, or ids of added leads, POSTed as one signed webhook. */
  sendWebhook(targetUrl: string, notifications: Array<LeadgenNotification | string>, options?: SendWebhookOptions): Promise<Response>;
  /** The subscription handshake GET. */
  subscribe(targetUrl: string, verifyToken: string, challenge?: string): Promise<Response>;
  graphCalls(): GraphCall[];
  reset(): void;
  close(): Promise<void>;
}
