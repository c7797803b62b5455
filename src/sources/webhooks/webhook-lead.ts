import { createHash } from 'node:crypto';
import { targetCode, type WebhookSourceConfig } from '../../config/webhook-config';
import type { FieldError, Mapped } from '../../lead/field-errors';
import { UTM_KEYS, type ExtraField, type Lead, type Utm } from '../../lead/lead';
import { CLICK_ID_KEYS } from '../../lead/utm';
import { leadTitle } from '../shared/lead-title';
import { LenientFields } from '../shared/lenient-fields';
import { DEFAULT_FORM_FIELDS } from '../website-form';
import { isPointer, resolvePointer } from './json-pointer';
import { valueText } from './webhook-value';
import type { NamedValue, WebhookValues } from './webhook-values';

/** Longest sender id kept: longer ones are hashed, so a key stays short whatever is sent. */
const MAX_ID_LENGTH = 200;

/** Field names common on landing pages beyond the web forms' list (spaces and dashes read as `_`). */
const EXTRA_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({ phone_number: 'PHONE', mobile: 'PHONE', e_mail: 'EMAIL', your_name: 'FULL_NAME', your_email: 'EMAIL' });

/** Names that carry attribution: captured as UTM and click ids, never extras. */
const TRACKING_NAMES = new Set<string>([...UTM_KEYS.map((k) => `utm_${k}`), ...CLICK_ID_KEYS, 'page_url', 'referrer']);

const normalised = (name: string): string => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

function defaultCode(name: string): string | undefined {
  const key = normalised(name);
  if (Object.hasOwn(DEFAULT_FORM_FIELDS, key)) return DEFAULT_FORM_FIELDS[key];
  return Object.hasOwn(EXTRA_DEFAULTS, key) ? EXTRA_DEFAULTS[key] : undefined;
}

/** The named value for a configured name: exact first, then ignoring case, spaces and dashes. */
function findNamed(named: Map<string, NamedValue>, name: string): [string, NamedValue] | undefined {
  const exact = named.get(name);
  if (exact) return [name, exact];
  const wanted = normalised(name);
  for (const entry of named) if (normalised(entry[0]) === wanted) return entry;
  return undefined;
}

/** A value path's text: a pointer into the document, or a name. */
function valueAt(values: WebhookValues, path: string): { text: string; name?: string } | undefined {
  if (isPointer(path)) {
    const text = valueText(resolvePointer(values.document, path));
    return text === undefined ? undefined : { text };
  }
  const found = findNamed(values.named, path);
  if (found) return { text: found[1].value, name: found[0] };
  // A name the preset keeps for itself (Tilda's tranid) is still a top-level key of the document.
  const document = values.document;
  const own = document !== null && typeof document === 'object' && !Array.isArray(document) && Object.hasOwn(document, path) ? valueText((document as Record<string, unknown>)[path]) : undefined;
  return own === undefined ? undefined : { text: own, name: path };
}

/**
 * The sender's id of the submission (config `id`), else the SHA-256 of the raw body: a redelivery of
 * the same bytes is then the same lead. A configured id that is absent is an error.
 */
export function submissionId(values: WebhookValues, config: Pick<WebhookSourceConfig, 'id'>, rawBody: Buffer): Mapped<string> {
  if (config.id === undefined) return { ok: true, value: `sha256:${createHash('sha256').update(rawBody).digest('hex')}` };
  const found = valueAt(values, config.id);
  if (!found) return { ok: false, errors: [{ field: config.id, message: 'is missing: it is the submission id leadgate deduplicates by (sources.webhooks.<name>.id)' }] };
  const id = found.text.length <= MAX_ID_LENGTH ? found.text : `sha256:${createHash('sha256').update(found.text).digest('hex')}`;
  return { ok: true, value: id };
}

/**
 * A configured webhook's values become a Lead: configured paths first, then common field names
 * (email, phone, name, first name, message…) as for web forms, anything else as an extra line; UTM
 * and click ids from the configured paths or the utm_* / gclid… names. A value Bitrix24 would
 * refuse is kept as an extra line: the visitor is gone, the lead is not. Pure.
 */
export function webhookLeadToLead(
  values: WebhookValues,
  config: WebhookSourceConfig,
  identity: { id: string; name: string; externalId: string; receivedAt: string },
): Mapped<Lead> {
  const builder = new LenientFields(config.phoneCountry);
  const extras: ExtraField[] = [];
  const used = new Set<string>(values.consumed);
  let mapped = 0;

  for (const [path, target] of Object.entries(config.fields)) {
    const found = valueAt(values, path);
    if (!found) continue;
    if (found.name !== undefined) used.add(found.name);
    builder.set(targetCode(target), found.text, found.name ?? path);
    mapped += 1;
  }
  for (const [name, { value, label }] of values.named) {
    if (used.has(name) || TRACKING_NAMES.has(normalised(name))) continue;
    const code = defaultCode(name);
    if (code) builder.set(code, value, label);
    else extras.push({ label, value });
    mapped += 1;
  }
  if (mapped === 0) {
    const errors: FieldError[] = [{ field: '/', message: 'carries no value leadgate can map (check sources.webhooks.<name>.fields and format)' }];
    return { ok: false, errors };
  }

  const utm: Utm = {};
  for (const key of UTM_KEYS) {
    const path = config.utm[key] ?? `utm_${key}`;
    const found = valueAt(values, path);
    if (found) utm[key] = found.text.slice(0, 255);
  }
  const clickIds: Record<string, string> = {};
  for (const key of CLICK_ID_KEYS) {
    const found = values.named.get(key);
    if (found) clickIds[key] = found.value.slice(0, 500);
  }
  const pageUrl = values.pageUrl ?? values.named.get('page_url')?.value;
  const referrer = values.named.get('referrer')?.value;

  const { fields, refused } = builder.build();
  extras.push(...refused);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = config.sourceId;
  if (fields.SOURCE_DESCRIPTION === undefined) fields.SOURCE_DESCRIPTION = identity.name;
  fields.TITLE = leadTitle(config.title ?? '{webhook}: {name}', fields, { webhook: identity.name, form: values.formName ?? identity.name }, false);

  const lead: Lead = {
    id: identity.id,
    source: { kind: 'webhook', name: identity.name, externalId: identity.externalId },
    destination: config.destination,
    receivedAt: identity.receivedAt,
    fields,
    utm,
    tracking: { clickIds, ...(pageUrl ? { pageUrl: pageUrl.slice(0, 2000) } : {}), ...(referrer ? { referrer: referrer.slice(0, 2000) } : {}) },
    extras,
    trackingField: config.trackingField,
  };
  return { ok: true, value: lead };
}
