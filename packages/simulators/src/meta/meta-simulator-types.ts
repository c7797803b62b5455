import type { LeadgenNotification } from './meta-wire';
import type { GraphCall, GraphErrorInjection, SimLead } from './sim-state';
import type { SendWebhookOptions } from './webhook-sender';

export interface MetaSimulatorOptions {
  port?: number;
  host?: string;
  appSecret: string;
  /** Page id → the Page access token Graph accepts for it. */
  pageTokens: Record<string, string>;
}

export interface MetaSimulator {
  /** Base URL of the simulator (control API under /_sim/). */
  url: string;
  /** What to configure as sources.meta.graphUrl. */
  graphUrl: string;
  addLead(lead: SimLead): SimLead;
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
