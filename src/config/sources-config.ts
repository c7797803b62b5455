/**
 * Configuration of the ad-platform and partner sources: `Config.sources`, as validated (defaults
 * applied) by schemas/config.schema.json#/properties/sources.
 */
import type { UtmKey } from '../lead/lead';
import type { DuplicatesConfig } from './duplicates-config';
import type { AssignConfig, ConsentConfig } from './assign-consent-config';
import type { WebhookSourceConfig } from './webhook-config';

/** What to do with leads the platform marks as tests (Meta testing tool, Google "send test data"). */
export type TestLeadPolicy = 'deliver' | 'drop';

/**
 * Per-UTM-key templates with `{placeholder}`s filled from the platform's campaign data; a key whose
 * placeholder has no value is left out. `null` switches a default key off.
 */
export type UtmRule = Partial<Record<UtmKey, string | null>>;

export interface MetaFormConfig {
  destination?: string;
  /** Question key → Bitrix24 field code, over the page-wide and global maps. */
  fieldMap?: Record<string, string>;
}

export interface MetaPageConfig {
  /** Long-lived Page access token with leads_retrieval. */
  accessToken: string;
  destination?: string;
  forms?: Record<string, MetaFormConfig>;
}

/** The backfill poller: off unless configured. */
export interface MetaBackfillConfig {
  intervalMinutes: number;
  /** At most 72 (the seen-ids memory), checked by the schema. */
  lookbackHours: number;
}

export interface MetaTokenHealthConfig {
  checkIntervalHours: number;
  warnDays: number;
  pausedRecheckMinutes: number;
}

export interface MetaSourceConfig {
  /** App secret: signs webhooks and keys appsecret_proof. Absent: the webhook endpoint is off. */
  appSecret?: string;
  /** With appSecret, the app token debug_token is asked with; absent: each Page token inspects itself. */
  appId?: string;
  backfill?: MetaBackfillConfig;
  tokenHealth: MetaTokenHealthConfig;
  /** Token typed in the app's webhook settings; absent: the handshake always fails. */
  verifyToken?: string;
  graphUrl: string;
  graphVersion: string;
  graphTimeoutMs: number;
  pages: Record<string, MetaPageConfig>;
  /** Custom question key → Bitrix24 field code (also overrides a standard key). */
  fieldMap: Record<string, string>;
  utm: UtmRule;
  sourceId: string;
  testLeads: TestLeadPolicy;
  destination: string;
  trackingField: string;
  phoneCountry?: string;
  duplicates?: DuplicatesConfig;
  /** TITLE template: {name}, {platform}, {form}, {campaign}. */
  title?: string;
  assign?: AssignConfig;
}

export interface GoogleFormConfig {
  destination?: string;
  columnMap?: Record<string, string>;
}

export interface GoogleSourceConfig {
  /** Accepted google_key values (several during a rotation). Empty: every request is refused. */
  keys: string[];
  destination: string;
  /** column_id → Bitrix24 field code, over the standard columns. */
  columnMap: Record<string, string>;
  forms: Record<string, GoogleFormConfig>;
  utm: UtmRule;
  sourceId: string;
  testLeads: TestLeadPolicy;
  trackingField: string;
  phoneCountry?: string;
  duplicates?: DuplicatesConfig;
  /** TITLE template: {name}, {form}, {campaign}. */
  title?: string;
  assign?: AssignConfig;
}

export interface PartnerConfig {
  /** SHA-256 hex of each accepted API key: the keys themselves are never stored. */
  keyHashes: string[];
  destination: string;
  rateLimit: { windowMs: number; limit: number };
  sourceId: string;
  /** Defaults to the partner's name (filled by the mapping, not the schema). */
  sourceDescription?: string;
  /** Key of the partner's `custom` object → Bitrix24 field code; unmapped keys go to extras. */
  fieldMap: Record<string, string>;
  trackingField: string;
  phoneCountry?: string;
  duplicates?: DuplicatesConfig;
  /** TITLE template: {name}, {partner}. */
  title?: string;
  assign?: AssignConfig;
  consent?: ConsentConfig;
}

export interface LinkedInSourceConfig {
  /** The app's client id and secret: the secret signs validation answers and notifications, and refreshes tokens. */
  clientId: string;
  clientSecret: string;
  /** Token of a member with r_marketing_leadgen_automation on the organisation/ad account; seeds Redis. */
  accessToken: string;
  /** Refreshes an expired access token (programmatic refresh tokens); absent: an expired token pauses reads. */
  refreshToken?: string;
  apiUrl: string;
  tokenUrl: string;
  /** `LinkedIn-Version` header (YYYYMM). */
  apiVersion: string;
  timeoutMs: number;
  /** Question name (or questionId) → Bitrix24 field code, over the predefined fields. */
  fieldMap: Record<string, string>;
  destination: string;
  utm: UtmRule;
  sourceId: string;
  testLeads: TestLeadPolicy;
  trackingField: string;
  phoneCountry?: string;
  title?: string;
  duplicates?: DuplicatesConfig;
  assign?: AssignConfig;
}

export interface TikTokSourceConfig {
  /** The app secret: keys the signature of every delivery. */
  secret: string;
  /** How far the signature's timestamp may be from now. */
  toleranceSeconds: number;
  /** Question (field name) → Bitrix24 field code, over the standard ones. */
  fieldMap: Record<string, string>;
  destination: string;
  utm: UtmRule;
  sourceId: string;
  trackingField: string;
  phoneCountry?: string;
  title?: string;
  duplicates?: DuplicatesConfig;
  assign?: AssignConfig;
}

export interface SourcesConfig {
  meta?: MetaSourceConfig;
  google?: GoogleSourceConfig;
  partners: Record<string, PartnerConfig>;
  /** Configured webhooks (landing-page builders, form tools), presets resolved; the schema defaults it to {}. */
  webhooks?: Record<string, WebhookSourceConfig>;
  linkedin?: LinkedInSourceConfig;
  tiktok?: TikTokSourceConfig;
}
