import type { WebhookSourceConfig } from '../../config/webhook-config';
import type { FieldError } from '../../lead/field-errors';
import { parseJsonExact } from '../shared/exact-json';
import { readPreset } from './preset-readers';
import { valueText } from './webhook-value';
import type { NamedValue, WebhookValues } from './webhook-values';

/** A form post has at most this many fields; a landing page's form has a few dozen. */
export const MAX_FORM_FIELDS = 500;

/** The body cannot be read as configured: answered 400 with the problems. */
export class WebhookBodyError extends Error {
  constructor(readonly code: 'malformed_body' | 'too_many_fields', readonly problems: FieldError[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'WebhookBodyError';
  }
}

function parseJsonDocument(text: string, where: string): unknown {
  let document: unknown;
  try {
    document = parseJsonExact(text);
  } catch (err) {
    throw new WebhookBodyError('malformed_body', [{ field: where, message: `is not valid JSON (${(err as Error).message.slice(0, 120)})` }]);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new WebhookBodyError('malformed_body', [{ field: where, message: 'must be a JSON object' }]);
  }
  return document;
}

/** Form fields in a null-prototype object; a repeated name becomes a list. */
function parseForm(text: string): Record<string, string | string[]> {
  const fields = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    count += 1;
    if (count > MAX_FORM_FIELDS) throw new WebhookBodyError('too_many_fields', [{ field: '/', message: `has more than ${MAX_FORM_FIELDS} fields` }]);
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [existing, value];
  }
  return fields;
}

/** Top-level keys whose values are text (or lists of text), as named values. */
export function topLevelNamed(document: unknown): Map<string, NamedValue> {
  const named = new Map<string, NamedValue>();
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return named;
  for (const [key, raw] of Object.entries(document)) {
    const value = valueText(raw);
    if (value !== undefined) named.set(key, { value, label: key });
  }
  return named;
}

/**
 * Reads a (credential-checked) body the way the webhook is configured: JSON, a form post, or a form
 * post carrying a JSON document in one field; then lets the preset read its vendor's shape. Numbers
 * beyond 2^53 keep every digit. Throws WebhookBodyError.
 */
export function readWebhookBody(rawBody: Buffer, config: Pick<WebhookSourceConfig, 'format' | 'jsonField' | 'preset'>): WebhookValues {
  const text = rawBody.toString('utf8');
  let document: unknown;
  if (config.format === 'json') {
    document = parseJsonDocument(text, '/');
  } else {
    const form = parseForm(text);
    if (config.jsonField !== undefined) {
      const inner = Object.hasOwn(form, config.jsonField) ? form[config.jsonField] : undefined;
      if (typeof inner !== 'string') {
        // Tilda-style connection tests carry no document; only a preset may call them tests.
        if (config.preset && readPreset(config.preset, form)?.connectionTest) return { document: form, named: new Map(), consumed: new Set(), connectionTest: true };
        throw new WebhookBodyError('malformed_body', [{ field: config.jsonField, message: 'is missing or repeated: it must hold the JSON document' }]);
      }
      document = parseJsonDocument(inner, config.jsonField);
    } else {
      document = form;
    }
  }
  const generic: WebhookValues = { document, named: topLevelNamed(document), consumed: new Set() };
  const preset = config.preset ? readPreset(config.preset, document) : undefined;
  return preset ? { ...generic, ...preset, document } : generic;
}
