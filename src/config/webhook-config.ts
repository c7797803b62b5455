/**
 * `sources.webhooks.<name>`: landing-page builders and form tools posting their own webhook shape.
 * The schema checks each entry's structure; `resolveWebhooks` fills a preset's settings under the
 * entry's own and reports combinations the schema cannot express, with the path of each problem.
 */
import type { UtmKey } from '../lead/lead';
import type { AssignConfig } from './assign-consent-config';
import type { DuplicatesConfig } from './duplicates-config';
import { WEBHOOK_PRESETS, type HmacTimestamp, type WebhookPreset } from './webhook-presets';

export type { HmacTimestamp } from './webhook-presets';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

export type WebhookAuth =
  | { type: 'hmac'; secret: string; header: string; algorithm: HmacAlgorithm; encoding: 'hex' | 'base64'; prefix: string; timestamp?: HmacTimestamp }
  /** A shared token in a header or in the URL's query (either, when both are named). */
  | { type: 'token'; token: string; header?: string; query?: string }
  /** No credential: only requests from `allowedIps` are taken. */
  | { type: 'none' };

/** What a value in the body is found by: a JSON Pointer (`/form_response/token`) or a field name. */
export type ValuePath = string;

export interface WebhookSourceConfig {
  preset?: WebhookPreset;
  auth: WebhookAuth;
  /** Addresses or CIDR ranges (IPv4/IPv6) allowed to post; absent: any address. */
  allowedIps?: string[];
  format: 'json' | 'urlencoded';
  /** With `urlencoded`: the form field holding the JSON document (Unbounce's `data.json`). */
  jsonField?: string;
  /** The sender's id of the submission, for deduplication; absent: the SHA-256 of the raw body. */
  id?: ValuePath;
  /** Value path → lead field (email, phone, name…) or Bitrix24 field code; the preset's defaults under the entry's own. */
  fields: Record<ValuePath, string>;
  utm: Partial<Record<UtmKey, ValuePath>>;
  destination: string;
  sourceId: string;
  title?: string;
  trackingField: string;
  phoneCountry?: string;
  duplicates?: DuplicatesConfig;
  assign?: AssignConfig;
}

/** An entry as the schema validated it: a preset's one line, or a full description. */
export interface RawWebhookConfig extends Omit<WebhookSourceConfig, 'auth' | 'format' | 'fields'> {
  auth?: LooseAuth;
  format?: WebhookSourceConfig['format'];
  fields: Record<ValuePath, string>;
  /** A preset's HMAC secret (Typeform, Webflow). */
  secret?: string;
  /** A preset's shared token (Tilda, Unbounce, Contact Form 7, Elementor). */
  token?: string;
}

/** `auth` as written: every key optional, the schema having checked which go with which type. */
interface LooseAuth {
  type: WebhookAuth['type'];
  secret?: string;
  header?: string;
  algorithm?: HmacAlgorithm;
  encoding?: 'hex' | 'base64';
  prefix?: string;
  timestamp?: Partial<HmacTimestamp> & { header: string };
  token?: string;
  query?: string;
}

/** Lead fields a mapping may name besides Bitrix24 codes. */
export const LEAD_FIELD_TARGETS: Readonly<Record<string, string>> = Object.freeze({
  name: 'FULL_NAME',
  full_name: 'FULL_NAME',
  first_name: 'NAME',
  last_name: 'LAST_NAME',
  middle_name: 'SECOND_NAME',
  email: 'EMAIL',
  phone: 'PHONE',
  company: 'COMPANY_TITLE',
  position: 'POST',
  message: 'COMMENTS',
  comment: 'COMMENTS',
  title: 'TITLE',
  website: 'WEB',
  address: 'ADDRESS',
  city: 'ADDRESS_CITY',
  country: 'ADDRESS_COUNTRY',
  postal_code: 'ADDRESS_POSTAL_CODE',
});

/** A mapping target as a Bitrix24 code: lead field names translated, codes kept. */
export function targetCode(target: string): string {
  return Object.hasOwn(LEAD_FIELD_TARGETS, target) ? LEAD_FIELD_TARGETS[target]! : target;
}

const TIMESTAMP_DEFAULTS: Omit<HmacTimestamp, 'header'> = { separator: ':', toleranceSeconds: 300, unit: 's' };

function resolveAuth(raw: RawWebhookConfig, path: string, problems: string[]): WebhookAuth {
  const preset = raw.preset ? WEBHOOK_PRESETS[raw.preset] : undefined;
  const base: LooseAuth | undefined = raw.auth ?? preset?.auth;
  if (!base) {
    problems.push(`${path}/auth: required without a preset`);
    return { type: 'none' };
  }
  // A preset's credential fills the preset's own scheme; `auth` written out replaces it whole.
  const fromPreset = raw.auth === undefined;
  if (base.type === 'hmac') {
    const secret = base.secret ?? (fromPreset ? raw.secret : undefined);
    if (!secret) problems.push(`${path}/${fromPreset ? 'secret' : 'auth/secret'}: required (the ${raw.preset ?? 'webhook'} signing secret)`);
    if (!base.header) problems.push(`${path}/auth/header: required for hmac`);
    const timestamp = base.timestamp ? { ...TIMESTAMP_DEFAULTS, ...base.timestamp } : undefined;
    return {
      type: 'hmac', secret: secret ?? '', header: base.header ?? '', algorithm: base.algorithm ?? 'sha256',
      encoding: base.encoding ?? 'hex', prefix: base.prefix ?? '', ...(timestamp ? { timestamp } : {}),
    };
  }
  if (base.type === 'token') {
    const token = base.token ?? (fromPreset ? raw.token : undefined);
    if (!token) problems.push(`${path}/${fromPreset ? 'token' : 'auth/token'}: required (a shared token of at least 16 characters)`);
    const header = base.header;
    const query = base.query ?? (header === undefined ? 'token' : undefined);
    return { type: 'token', token: token ?? '', ...(header ? { header } : {}), ...(query ? { query } : {}) };
  }
  if (!raw.allowedIps || raw.allowedIps.length === 0) problems.push(`${path}/allowedIps: required when auth is none (anyone could post leads otherwise)`);
  return { type: 'none' };
}

/** The preset's settings under the entry's own; every problem found, with its config path. */
export function resolveWebhook(name: string, raw: RawWebhookConfig, problems: string[]): WebhookSourceConfig {
  const path = `/sources/webhooks/${name}`;
  const preset = raw.preset ? WEBHOOK_PRESETS[raw.preset] : undefined;
  if (!preset && (raw.secret !== undefined || raw.token !== undefined)) {
    problems.push(`${path}/${raw.secret !== undefined ? 'secret' : 'token'}: only fills a preset's auth; without a preset, write auth out`);
  }
  const auth = resolveAuth(raw, path, problems);
  const format = raw.format ?? preset?.format;
  if (!format) problems.push(`${path}/format: required without a preset (json or urlencoded)`);
  const jsonField = raw.jsonField ?? (raw.format === undefined ? preset?.jsonField : undefined);
  if (jsonField !== undefined && format !== 'urlencoded') problems.push(`${path}/jsonField: only with format urlencoded`);
  const { secret: _secret, token: _token, auth: _auth, ...rest } = raw;
  const id = raw.id ?? preset?.id;
  return {
    ...rest,
    auth,
    format: format ?? 'json',
    ...(jsonField !== undefined ? { jsonField } : {}),
    ...(id !== undefined ? { id } : {}),
    fields: { ...(preset?.fields ?? {}), ...raw.fields },
    utm: { ...(preset?.utm ?? {}), ...raw.utm },
    title: raw.title ?? preset?.title,
  };
}
