/** Public shapes of the Bitrix24 simulator; re-exported from bitrix24-simulator.ts. */
import type { EventSubscription, SentEvent } from './outgoing-events';
import type { StageHistoryRow } from './stage-history';

export type { EventSubscription, SentEvent, StageHistoryRow };

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
  /**
   * The request counter at start (default 0): a portal other traffic has already used. 'full' = the
   * limit + 1, the most it reaches: the first request is refused, one is admitted after one drain step.
   */
  bucketLevel?: number | 'full';
  /** Other integrations' steady load on the same counter, in requests per second (default 0). */
  otherAppsPerSecond?: number;
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
  /**
   * Scopes the webhook (and the OAuth app's tokens) were granted. crm.* needs `crm`, user.current
   * `user`; profile and batch need none. Default: every scope.
   */
  scopes?: string[];
  /**
   * crm.settings.mode.get's answer. `simple` (no leads): crm.lead.add converts a lead with a first
   * name at once into a contact and a deal, the lead ending CONVERTED. Default `classic`.
   */
  crmMode?: 'classic' | 'simple';
  /**
   * Lead fields the portal requires on create (standard codes, PHONE/EMAIL…, or UF_CRM_…):
   * crm.lead.fields says `isRequired: true` and crm.lead.add without a value answers 400
   * `{"error":"","error_description":"Field \"…\" (CODE) is required."}`. Fields the portal fills
   * itself (TITLE, STATUS_ID, ASSIGNED_BY_ID…) never refuse an add. Default none.
   */
  requiredFields?: string[];
  /**
   * List (enumeration) custom fields and their items; crm.lead.fields answers `type: enumeration`
   * with `items`. crm.lead.add stores an item's ID and silently stores nothing for any other value.
   */
  listFields?: Record<string, ListFieldItem[]>;
  /** The portal's users, for `user.get`. Default: the webhook's own user, active. */
  users?: SimulatedUser[];
  /**
   * Deal pipelines besides the general one (0): crm.status.list then lists DEAL_STAGE_<n> with stage
   * ids C<n>:NEW…, and a deal added with CATEGORY_ID n starts at C<n>:NEW. Default none.
   */
  dealCategories?: number[];
  /** Every call-log entry as it is recorded (in-process observers, e.g. a chaos harness reacting to answers). */
  onCall?: (call: SimulatedCall) => void;
}

/** One item of a list field: leads store the ID; VALUE is what people see. */
export interface ListFieldItem {
  ID: string | number;
  VALUE: string;
}

/** A portal user as configured; `user.get` answers ID as a string. ACTIVE false = dismissed. */
export interface SimulatedUser {
  ID: number | string;
  ACTIVE?: boolean;
  NAME?: string;
  LAST_NAME?: string;
  EMAIL?: string;
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
  /** Execute (commit), then destroy the socket without a response. Also accepted as 'reset-after-commit'. */
  | { kind: 'drop-after-commit'; count: number; method?: string }
  /** Destroy the socket before anything runs: not executed, not counted in the bucket. */
  | { kind: 'reset-before-commit'; count: number; method?: string }
  /** Answer slowly: wait `beforeMs` before executing (after admission) and `ms` after executing. */
  | { kind: 'delay'; count: number; ms: number; beforeMs?: number; method?: string }
  /** Not executed: answer 500 with an HTML body (a proxy error). */
  | { kind: 'html-500'; count: number; method?: string }
  /**
   * Executes at once (IDs are taken) but the leads stay invisible, as in an uncommitted transaction,
   * until `commitAfterMs` after the request arrived. The answer goes out `answerAfterMs` after arrival
   * (default: when the commit happens). A batch commits all its leads together.
   */
  | { kind: 'slow-commit'; count: number; commitAfterMs: number; answerAfterMs?: number; method?: string }
  /**
   * An answer from a proxy, WAF or load balancer in front of the portal: not executed, not counted in
   * the bucket. `body` html (default) = an nginx error page, empty, or text = a plain-text line.
   */
  | { kind: 'proxy'; count: number; status: number; body?: ProxyBody; retryAfter?: string | number; method?: string };

export type ProxyBody = 'html' | 'empty' | 'text';

/** Counts every lead that ever carried an ORIGIN_ID, so a harness can tell duplicates from deletions. */
export interface OriginRecord {
  originId: string;
  /** IDs of leads with this ORIGIN_ID that exist (committed, not deleted), ascending. */
  live: number[];
  /** IDs of leads with this ORIGIN_ID removed by crm.lead.delete, ascending. */
  deleted: number[];
}

/** Holds every `/rest/` request `ms` before (`before`: nothing has run yet) or after executing. */
export interface HoldSettings {
  ms: number;
  phase: 'before' | 'after';
}

export interface Bitrix24Stats {
  requests: number;
  queryLimitExceeded: number;
  operationTimeLimit: number;
  /** Successful refresh grants at `/oauth/token/`. */
  tokenRefreshes: number;
  leadsCreated: number;
  /** Leads removed by crm.lead.delete. */
  leadsDeleted: number;
  /** Leads executed by a slow-commit request and not yet visible. */
  uncommittedLeads: number;
  /** `/rest/` requests that arrived and are not answered yet. */
  inFlight: number;
  bucketLevel: number;
  /** Requests other integrations made on the counter (and how many of them it refused). */
  otherApps: { requestsPerSecond: number; requests: number; refused: number };
}

/** Where other traffic has put the portal's request counter; either part may be left out. */
export interface BucketLoad {
  level?: number | 'full';
  otherAppsPerSecond?: number;
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
  /** Committed leads that were not deleted, ascending ID. */
  leads(): SimulatedLead[];
  /** Every ORIGIN_ID ever stored, with its live and deleted lead IDs. */
  origins(): OriginRecord[];
  calls(): SimulatedCall[];
  stats(): Bitrix24Stats;
  injectFault(f: Bitrix24Fault): void;
  setWebhookCode(code: string): void;
  setPlan(plan: Bitrix24Plan | BucketSettings): void;
  /** Sets the request counter (another app just spent the bucket) and/or other apps' steady load. */
  setBucketLoad(load: BucketLoad): void;
  /** Scopes granted to the webhook and the app; applies to requests arriving from now on. */
  setScopes(scopes: string[]): void;
  /** Switches the portal's CRM mode for leads added from now on. */
  setCrmMode(mode: 'classic' | 'simple'): void;
  /** Replaces the required lead fields (see the option). */
  setRequiredFields(codes: string[]): void;
  /** Replaces the list fields and their items (see the option). */
  setListFields(lists: Record<string, ListFieldItem[]>): void;
  /** Replaces the portal's users. */
  setUsers(users: SimulatedUser[]): void;
  /** Gives or takes away the webhook user's right to add leads: crm.lead.add then answers 400 "Access denied.". */
  setLeadAddAllowed(allowed: boolean): void;
  /** Deals, contacts and companies as stored (string values), ascending ID. */
  crmRecords(kind: 'deal' | 'contact' | 'company'): Array<Record<string, unknown>>;
  /** IDs of deals, contacts or companies removed with crm.<kind>.delete, in order. */
  deletedCrmIds(kind: 'deal' | 'contact' | 'company'): number[];
  /** Timeline comments (crm.timeline.comment.add), ascending ID. */
  timelineComments(): Array<{ ID: string; ENTITY_ID: string; ENTITY_TYPE: string; COMMENT: string }>;
  /** Holds every request from now on (`{ ms: 0 }` turns it off; requests already held keep waiting). */
  setHold(hold: HoldSettings): void;
  /** The pair an application receives on install. Throws unless started with `oauth`. */
  issueOAuthTokens(): OAuthTokenPair;
  /** Every access token issued so far expires now; the next call with one answers `expired_token`. */
  expireAccessTokens(): void;
  /** Every refresh token stops working; the next refresh answers `invalid_grant`. */
  revokeRefreshTokens(): void;
  /** Drops leads, calls, faults, bucket, operating state and counters; keeps webhook code, plan and OAuth tokens. */
  /** Sends the portal's outgoing events (ONCRMLEADADD, ONCRMLEADUPDATE, ONCRMDEALADD, ONCRMDEALUPDATE) to a handler URL. */
  subscribeEvents(subscription: EventSubscription): number;
  /** Every event sent so far, with the handler's answer. */
  sentEvents(): SentEvent[];
  /** Resolves once every event sent so far has been answered. */
  eventsSettled(): Promise<void>;
  /** Loses the next `count` events (never sent), as Bitrix24 does not resend a failed one. */
  dropEvents(count: number): void;
  /**
   * Moves a lead (STATUS_ID) or a deal (STAGE_ID) to a stage, as a person in the portal would: writes
   * stage history, sends the update event; a lead moved to CONVERTED becomes a deal. `at` backdates the move.
   */
  moveStage(entity: 'lead' | 'deal', id: number, stageId: string, options?: { at?: string | number }): void;
  /** crm.stagehistory.list's rows of both entity types. */
  stageHistory(): StageHistoryRow[];
  reset(): void;
  close(): Promise<void>;
}
