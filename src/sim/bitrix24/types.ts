/** Public shapes of the Bitrix24 simulator; re-exported from bitrix24-simulator.ts. */

export type Bitrix24Plan = 'standard' | 'enterprise';

export interface BucketSettings {
  drainPerSecond: number;
  limit: number;
}

export interface Bitrix24SimulatorOptions {
  /** Default 0 (random free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 'standard' → leaky bucket drain 2/s, block above 50; enterprise 5/s, 250. */
  plan?: Bitrix24Plan;
  /** Overrides the plan numbers. */
  bucket?: BucketSettings;
  /** Default 1. */
  userId?: number;
  /** Default 'leadgatesim'. */
  webhookCode?: string;
  /** Default 480 per method per webhook over a rolling 10 minutes. */
  operatingLimitSeconds?: number;
  /**
   * Simulated handler time per executed method call: really waited, and charged to `operating`.
   * Default 0 → no wait, but a nominal 0.01 s is still charged.
   */
  processingMs?: number;
  /** How a batch's operating time is billed (the sources disagree); default 'batch'. */
  chargeBatchAs?: 'batch' | 'commands';
  /**
   * Installs one OAuth application: enables `/oauth/token/` (refresh grant) and `/rest/METHOD` calls
   * authorized by its access tokens. Without it `/rest/METHOD` knows no token.
   */
  oauth?: OAuthAppOptions;
  /**
   * The portal's custom lead fields (`UF_CRM_…`). Given, crm.lead.fields lists exactly these and
   * crm.lead.add silently drops any other UF_CRM_ value, as a real portal does with unknown fields.
   * Absent, every UF_CRM_ value is kept and the field appears once used (lenient, for tests).
   */
  customFields?: string[];
}

export interface OAuthAppOptions {
  clientId: string;
  clientSecret: string;
  /** Lifetime of each access token; default 3600 as on Bitrix24. */
  accessTokenTtlSeconds?: number;
}

/** A token pair as an application holds it. */
export interface OAuthTokenPair {
  accessToken: string;
  refreshToken: string;
}

/** `fields` is the record as crm.lead.get returns it: string values, nulls, multifields with IDs. */
export interface SimulatedLead {
  ID: number;
  fields: Record<string, unknown>;
  createdAt: string;
}

export interface SimulatedCall {
  /** Lower-case method name; batch sub-commands are logged too, with `viaBatch: true`. */
  method: string;
  /** HTTP status sent (per-command status inside a batch); 0 when the socket was dropped. */
  status: number;
  /** Bitrix `error` code; for CRM validation errors (empty code) the description. */
  error?: string;
  errorDescription?: string;
  /** Epoch ms when the request arrived. */
  at: number;
  viaBatch?: boolean;
  /** Number of commands in a batch request. */
  commands?: number;
  /** The injected fault that shaped this call, if any. */
  fault?: Bitrix24Fault['kind'];
}

export type Bitrix24Fault =
  /** Fail the next N HTTP calls (optionally only of a method) before executing. */
  | { kind: 'error'; count: number; status: number; error: string; description?: string; method?: string }
  /** Execute (commit), then destroy the socket without a response. */
  | { kind: 'drop-after-commit'; count: number; method?: string }
  /** Answer slowly (after executing). */
  | { kind: 'delay'; count: number; ms: number; method?: string }
  /** Not executed: answer 500 with an HTML body (a proxy error). */
  | { kind: 'html-500'; count: number; method?: string };

export interface Bitrix24Stats {
  requests: number;
  queryLimitExceeded: number;
  operationTimeLimit: number;
  /** Successful refresh grants at `/oauth/token/`. */
  tokenRefreshes: number;
  leadsCreated: number;
  bucketLevel: number;
}

export interface Bitrix24Simulator {
  /** http://HOST:PORT */
  readonly url: string;
  /** `${url}/rest/${userId}/${webhookCode}/`, following setWebhookCode. */
  readonly webhookUrl: string;
  /** `${url}/rest/`: the `client_endpoint` OAuth calls go to. */
  readonly clientEndpoint: string;
  /** `${url}/oauth/token/`: the authorization server's token endpoint. */
  readonly tokenUrl: string;
  leads(): SimulatedLead[];
  calls(): SimulatedCall[];
  stats(): Bitrix24Stats;
  injectFault(f: Bitrix24Fault): void;
  setWebhookCode(code: string): void;
  setPlan(plan: Bitrix24Plan | BucketSettings): void;
  /** The pair an application receives on install. Throws unless started with `oauth`. */
  issueOAuthTokens(): OAuthTokenPair;
  /** Every access token issued so far expires now; the next call with one answers `expired_token`. */
  expireAccessTokens(): void;
  /** Every refresh token stops working; the next refresh answers `invalid_grant`. */
  revokeRefreshTokens(): void;
  /** Drops leads, calls, faults, bucket, operating state and counters; keeps webhook code, plan and OAuth tokens. */
  reset(): void;
  close(): Promise<void>;
}
