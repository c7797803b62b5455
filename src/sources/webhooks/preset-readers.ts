import type { WebhookPreset } from '../../config/webhook-presets';
import { valueText } from './webhook-value';
import type { NamedValue, WebhookValues } from './webhook-values';

type PresetValues = Partial<Omit<WebhookValues, 'document'>>;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const own = (record: unknown, key: string): unknown => (isRecord(record) && Object.hasOwn(record, key) ? record[key] : undefined);
const text = (value: unknown): string | undefined => valueText(value);

/** Every top-level text value except the names leadgate reads itself. */
function namedExcept(document: unknown, skip: (name: string) => boolean): Map<string, NamedValue> {
  const named = new Map<string, NamedValue>();
  if (!isRecord(document)) return named;
  for (const [name, raw] of Object.entries(document)) {
    const value = text(raw);
    if (value !== undefined && !skip(name)) named.set(name, { value, label: name });
  }
  return named;
}

/** The value of one Typeform answer, by its type (developer.typeform.com, "Webhooks: example payload"). */
function typeformAnswer(answer: Record<string, unknown>): string | undefined {
  const type = text(own(answer, 'type'));
  switch (type) {
    case 'choice':
      return text(own(own(answer, 'choice'), 'label')) ?? text(own(own(answer, 'choice'), 'other'));
    case 'choices': {
      const choices = own(answer, 'choices');
      return text([...(Array.isArray(own(choices, 'labels')) ? (own(choices, 'labels') as unknown[]) : []), own(choices, 'other')].filter((v) => v !== undefined));
    }
    case 'payment':
      return text(own(own(answer, 'payment'), 'amount'));
    default:
      return type ? text(own(answer, type)) : undefined;
  }
}

/**
 * Typeform: answers by their field `ref` (labelled with the question's title), hidden fields by
 * name (utm_source…), and the first email and phone answers also as `email` and `phone_number`, so
 * a form works without mapping its refs.
 */
function readTypeform(document: unknown): PresetValues {
  const response = own(document, 'form_response');
  const definition = own(response, 'definition');
  const titles = new Map<string, string>();
  const defined = own(definition, 'fields');
  for (const field of Array.isArray(defined) ? defined : []) {
    const id = text(own(field, 'id'));
    const title = text(own(field, 'title'));
    if (id && title) titles.set(id, title);
  }
  const named = new Map<string, NamedValue>();
  const byType = new Map<string, NamedValue>();
  const answers = own(response, 'answers');
  for (const answer of Array.isArray(answers) ? answers : []) {
    if (!isRecord(answer)) continue;
    const value = typeformAnswer(answer);
    const field = own(answer, 'field');
    const ref = text(own(field, 'ref')) ?? text(own(field, 'id'));
    if (value === undefined || !ref) continue;
    const entry = { value, label: titles.get(text(own(field, 'id')) ?? '') ?? ref };
    named.set(ref, entry);
    const type = text(own(answer, 'type'));
    if ((type === 'email' || type === 'phone_number') && !byType.has(type)) byType.set(type, entry);
  }
  for (const [type, entry] of byType) if (!named.has(type)) named.set(type, entry);
  for (const [name, raw] of Object.entries(isRecord(own(response, 'hidden')) ? (own(response, 'hidden') as Record<string, unknown>) : {})) {
    const value = text(raw);
    if (value !== undefined && !named.has(name)) named.set(name, { value, label: name });
  }
  const formName = text(own(definition, 'title'));
  const eventType = text(own(document, 'event_type'));
  return {
    named,
    ...(formName ? { formName } : {}),
    ...(eventType && eventType !== 'form_response' ? { notASubmission: eventType } : {}),
  };
}

/** Webflow: `payload.data` by field name; other trigger types are not submissions. */
function readWebflow(document: unknown): PresetValues {
  const payload = own(document, 'payload');
  const trigger = text(own(document, 'triggerType'));
  const formName = text(own(payload, 'name'));
  return {
    named: namedExcept(own(payload, 'data'), () => false),
    ...(formName ? { formName } : {}),
    ...(trigger && trigger !== 'form_submission' ? { notASubmission: trigger } : {}),
  };
}

const TILDA_OWN = new Set(['tranid', 'formid', 'formname', 'COOKIES', 'test']);

/** `TILDAUTM=utm_source%3Dgoogle%7C%7C%7Cutm_medium%3Dcpc` inside Tilda's COOKIES field (sent when "Send cookies" is on). */
function tildaUtm(cookies: string | undefined): Map<string, NamedValue> {
  const named = new Map<string, NamedValue>();
  const utm = cookies?.split(/;\s*/).find((c) => c.startsWith('TILDAUTM='))?.slice('TILDAUTM='.length);
  if (!utm) return named;
  let decoded: string;
  try {
    decoded = decodeURIComponent(utm);
  } catch {
    return named;
  }
  for (const pair of decoded.split('|||')) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    const value = text(pair.slice(eq + 1));
    if (/^utm_[a-z]+$/.test(name) && value) named.set(name, { value, label: name });
  }
  return named;
}

/** Tilda: the form's own field names; `tranid` is the submission id, `test=test` the connection test. */
function readTilda(document: unknown): PresetValues {
  const named = namedExcept(document, (name) => TILDA_OWN.has(name));
  for (const [name, entry] of tildaUtm(text(own(document, 'COOKIES')))) if (!named.has(name)) named.set(name, entry);
  const formName = text(own(document, 'formname')) ?? text(own(document, 'formid'));
  const onlyTest = own(document, 'test') === 'test' && own(document, 'tranid') === undefined;
  return { named, ...(formName ? { formName } : {}), ...(onlyTest ? { connectionTest: true } : {}) };
}

const UNBOUNCE_OWN = new Set(['ip_address', 'time_submitted', 'date_submitted', 'page_uuid', 'page_id', 'variant', 'page_url', 'page_name']);

/** Unbounce: data.json's answers (each a list), page data kept out of the extras. */
function readUnbounce(document: unknown): PresetValues {
  const pageUrl = text(own(document, 'page_url'));
  const formName = text(own(document, 'page_name'));
  return { named: namedExcept(document, (name) => UNBOUNCE_OWN.has(name)), ...(pageUrl ? { pageUrl } : {}), ...(formName ? { formName } : {}) };
}

/** Contact Form 7: its hidden `_wpcf7…` fields are not answers. */
function readCf7(document: unknown): PresetValues {
  return { named: namedExcept(document, (name) => name.startsWith('_wpcf7') || name === '_wpnonce') };
}

const ELEMENTOR_FIELD = /^fields\[([^\]]+)\]\[(value|title)\]$/;
const ELEMENTOR_OWN = new Set(['form_id', 'form_name']);

/**
 * Elementor Pro: with "Advanced Data" on, `fields[<id>][value]` / `[title]` and `form[name]`,
 * `meta[page_url][value]`; without it, one field per label plus form_id / form_name.
 */
function readElementor(document: unknown): PresetValues {
  if (!isRecord(document)) return {};
  const advanced = Object.keys(document).some((key) => ELEMENTOR_FIELD.test(key));
  if (!advanced) {
    const formName = text(own(document, 'form_name'));
    return { named: namedExcept(document, (name) => ELEMENTOR_OWN.has(name)), ...(formName ? { formName } : {}) };
  }
  const named = new Map<string, NamedValue>();
  for (const key of Object.keys(document)) {
    const match = ELEMENTOR_FIELD.exec(key);
    if (!match || match[2] !== 'value') continue;
    const id = match[1]!;
    const value = text(document[key]);
    if (value !== undefined) named.set(id, { value, label: text(own(document, `fields[${id}][title]`)) ?? id });
  }
  const formName = text(own(document, 'form[name]'));
  const pageUrl = text(own(document, 'meta[page_url][value]'));
  return { named, ...(formName ? { formName } : {}), ...(pageUrl ? { pageUrl } : {}) };
}

const READERS: Readonly<Record<WebhookPreset, (document: unknown) => PresetValues>> = {
  tilda: readTilda,
  typeform: readTypeform,
  unbounce: readUnbounce,
  webflow: readWebflow,
  cf7: readCf7,
  elementor: readElementor,
};

/** The preset's reading of its vendor's body; pointers still read the document itself. */
export function readPreset(preset: WebhookPreset, document: unknown): PresetValues | undefined {
  return Object.hasOwn(READERS, preset) ? READERS[preset](document) : undefined;
}
