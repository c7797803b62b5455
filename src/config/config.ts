/** The validated, frozen configuration object. Shapes mirror schemas/config.schema.json. */
import type { AssignConfig, FormConsentConfig } from './assign-consent-config';
import type { FormCaptchaConfig } from './form-captcha-config';
import type { DuplicatesConfig } from './duplicates-config';
import type { SourcesConfig } from './sources-config';
import type { ConversionsConfig } from './conversions-config';

export type Bitrix24Plan = 'standard' | 'enterprise';

/**
 * What leadgate assumes about a portal's request bucket it has no record of. `empty`: nothing else
 * uses the portal, so the first burst goes at once (a busy portal refuses once, then the mirror
 * knows). `full`: other apps may be using it, so pace from the first request (one drain step before
 * it, never a refusal).
 */
export type ColdStart = 'empty' | 'full';

/** An OAuth application's credentials; the token pair only seeds Redis (see the schema's description). */
export interface DestinationOAuthConfig {
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
  /** https://PORTAL/rest/ */
  clientEndpoint: string;
  /** Defaults to https://oauth.bitrix.info/oauth/token/ */
  tokenUrl: string;
}

/** Exactly one of `webhookUrl` and `oauth` is set (the schema enforces it). */
export interface DestinationConfig {
  webhookUrl?: string;
  oauth?: DestinationOAuthConfig;
  plan: Bitrix24Plan;
  rateLimit?: { drainPerSecond?: number; limit?: number };
  /** Overrides delivery.coldStart for this portal. */
  coldStart?: ColdStart;
  timeoutMs: number;
  operatingLimitSeconds: number;
  probeIntervalMs: number;
  assign?: AssignConfig;
  /** What each lead becomes: a Bitrix24 lead (default), or a contact and a deal made together. */
  entity: 'lead' | 'deal';
  /** `entity: deal`: the pipeline (CATEGORY_ID) and stage (STAGE_ID) new deals start in. */
  deal?: { categoryId?: number; stageId?: string };
}

export interface FormConfig {
  destination: string;
  allowedOrigins?: string[];
  redirect?: { success?: string; error?: string };
  honeypot?: string;
  /** Spam rules (src/http/spam-*.ts): a CAPTCHA check, a minimum fill time, one lead per contact per window. */
  captcha?: FormCaptchaConfig;
  minFillSeconds?: number;
  duplicateWindowMinutes?: number;
  duplicates?: DuplicatesConfig;
  fields?: Record<string, string>;
  set?: Record<string, string | number>;
  requireContact: boolean;
  phoneCountry?: string;
  trackingField: string;
  title?: string;
  /** Which of the snippet's touches fills UTM_* (the other goes to trackingField); the schema defaults it to last. */
  attribution?: 'first' | 'last';
  assign?: AssignConfig;
  consent?: FormConsentConfig;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** Exactly one of `url`, `sentinels` (+ `name`) and `cluster` is set (src/config/redis-config.ts checks it). */
export interface RedisConfig {
  url?: string;
  sentinels?: RedisNode[];
  name?: string;
  /** Nodes as {host, port}, `host:port` or `redis[s]://[user:password@]host:port`. */
  cluster?: { nodes: Array<RedisNode | string> };
  username?: string;
  password?: string;
  sentinelPassword?: string;
  tls?: boolean | { caFile?: string; servername?: string };
  prefix: string;
  waitReplicas: number;
  waitReplicasTimeoutMs: number;
  /** API connections that do not answer a PING within this time are dropped and reconnected (0: off). */
  hangTimeoutMs: number;
}

export interface Config {
  redis: RedisConfig;
  http: {
    host: string;
    port: number;
    /** `leadgate api`'s processes on that port (node:cluster): a count, or `auto` for one per core. */
    processes: number | 'auto';
    /** Where sites and ad platforms reach the gateway; the console builds snippets and webhook URLs from it. */
    publicUrl?: string;
    trustProxy: string | boolean | number;
    bodyLimit: string;
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    rateLimit: { windowMs: number; limit: number };
    webhookRateLimit: { windowMs: number; limit: number };
    /** Who reads /readyz's details and /metrics: a bearer token, a separate port, or (neither) anyone. */
    operations: { token?: string; port?: number; host?: string };
  };
  worker: { host: string; port: number };
  intake: {
    /** Leads Redis cannot take in time go to a local journal and are queued once it answers. */
    spool: { enabled: boolean; directory?: string; maxBytes: number; drainIntervalMs: number };
  };
  /** sessionTtlSeconds: a console session's idle expiry. */
  admin: {
    token?: string;
    sessionTtlSeconds: number;
    /** Console sign-in with a token of one's own; the audit log names the operator. */
    operators: Array<{ name: string; tokenHash: string }>;
    /** The console on a separate port only (404 on http.port). */
    port?: number;
    host?: string;
  };
  delivery: {
    originatorId: string;
    attempts: number;
    backoff: { baseDelayMs: number; maxDelayMs: number };
    /** Leads held per destination; 'auto' derives it from the portal's drain rate (deliveryConcurrency). */
    concurrency: number | 'auto';
    /** What the rate-limit mirror assumes about a portal it has no record of. */
    coldStart: ColdStart;
    maxBatchSize: number;
    shutdownTimeoutMs: number;
    lockDurationMs: number;
    duplicateCheckDelayMs: number;
    maxStalls: number;
    deliveredRetentionSeconds: number;
    statusRetentionSeconds: number;
  };
  destinations: Record<string, DestinationConfig>;
  forms: Record<string, FormConfig>;
  acceptAnyForm: boolean;
  /** Ad-platform webhooks and partner API; the schema defaults it to `{ partners: {} }`. */
  sources?: SourcesConfig;
  /** Bitrix24 stage changes reported back to Meta and Google; off when absent. */
  conversions?: ConversionsConfig;
}

/** The form settings used for any form id when no config file declares forms. */
export const DEFAULT_FORM: FormConfig = Object.freeze({
  destination: 'main',
  requireContact: true,
  trackingField: 'COMMENTS',
});
