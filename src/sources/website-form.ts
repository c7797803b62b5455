import type { FormConfig } from '../config/config';
import type { ExtraField, Lead, Touch, Touches, Tracking, Utm } from '../lead/lead';
import { ownValue } from '../lead/own-value';
import { CLICK_ID_KEYS, captureClickIds, captureUtm, emptyParams, parseTouch, queryOf, type Params } from '../lead/utm';
import { LeadFieldsBuilder } from './contact-fields';
import { applyConsent, consentLine, formConsentAnswer } from './shared/consent';
import type { Mapped } from '../lead/field-errors';

/** What the HTTP layer hands over: the parsed body plus the request context UTM capture needs. */
export interface FormSubmission {
  formId: string;
  body: Record<string, string>;
  postQuery: Params;
  referer?: string;
  cookies: Params;
}

/**
 * Submitted names users actually send, mapped to Bitrix24 codes. FULL_NAME is not a Bitrix field:
 * it is split into NAME and LAST_NAME.
 */
export const DEFAULT_FORM_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  name: 'FULL_NAME',
  full_name: 'FULL_NAME',
  fullname: 'FULL_NAME',
  first_name: 'NAME',
  firstname: 'NAME',
  last_name: 'LAST_NAME',
  lastname: 'LAST_NAME',
  second_name: 'SECOND_NAME',
  middle_name: 'SECOND_NAME',
  email: 'EMAIL',
  phone: 'PHONE',
  tel: 'PHONE',
  telephone: 'PHONE',
  company: 'COMPANY_TITLE',
  company_name: 'COMPANY_TITLE',
  position: 'POST',
  job_title: 'POST',
  message: 'COMMENTS',
  comments: 'COMMENTS',
  comment: 'COMMENTS',
  title: 'TITLE',
});

/** The snippet's touch fields (snippet/src/submit-form.ts); its `lg_shown_at` is a spam control (fill-time.ts). */
export const SNIPPET_FIELDS = { firstTouch: 'lg_first_touch', lastTouch: 'lg_last_touch' } as const;

/** Fields that carry attribution, not lead data: captured separately, never listed as extras. */
const TRACKING_KEYS = new Set<string>([
  'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term',
  'page_url', 'referrer', 'fbc', 'fbp', ...CLICK_ID_KEYS, ...Object.values(SNIPPET_FIELDS),
]);

/** Each form's mapping, made once: a form's config does not change while the process runs. */
const mappings = new WeakMap<FormConfig, Map<string, string>>();

/** A Map, because the keys looked up in it are whatever names a visitor submitted. */
function fieldMapping(form: FormConfig): Map<string, string> {
  let mapping = mappings.get(form);
  if (!mapping) mappings.set(form, (mapping = formMapping(form)));
  return mapping;
}

function formMapping(form: FormConfig): Map<string, string> {
  const mapping = new Map(Object.entries(DEFAULT_FORM_FIELDS));
  // A form's own mapping wins; `name: NAME` in a config still means "the visitor's full name".
  for (const [submitted, code] of Object.entries(form.fields ?? {})) {
    mapping.set(submitted.toLowerCase(), code === 'NAME' && (submitted === 'name' || submitted === 'full_name') ? 'FULL_NAME' : code);
  }
  return mapping;
}

function humanLabel(key: string): string {
  return key.replace(/[_-]+/g, ' ').trim();
}

function defaultTitle(form: FormConfig, formId: string, fields: Lead['fields']): string {
  const person = [fields.NAME, fields.LAST_NAME].filter((v) => typeof v === 'string' && v).join(' ');
  const email = Array.isArray(fields.EMAIL) ? fields.EMAIL[0]?.VALUE : undefined;
  const who = person || email || 'new lead';
  const template = form.title ?? 'Web form {form}: {name}';
  // A replacer function: a name like "$&" or "$'" is text, not a replacement pattern.
  return template.replace('{form}', () => formId).replace('{name}', () => who).slice(0, 255);
}

/** The snippet's touches, if it sent any; `attribution` (the form's, last by default) names the one for UTM_*. */
function snippetTouches(body: Record<string, string>, form: FormConfig, receivedAt: string): { touches: Touches; attributed: Touch } | undefined {
  const first = parseTouch(ownValue(body, SNIPPET_FIELDS.firstTouch), receivedAt);
  const last = parseTouch(ownValue(body, SNIPPET_FIELDS.lastTouch), receivedAt);
  const attributed = form.attribution === 'first' ? (first ?? last) : (last ?? first);
  if (!attributed) return undefined;
  const touches: Touches = { attribution: form.attribution === 'first' ? 'first' : 'last', ...(first ? { first } : {}), ...(last ? { last } : {}) };
  if (first?.at) touches.secondsSinceFirstTouch = Math.max(0, Math.round((Date.parse(receivedAt) - Date.parse(first.at)) / 1000));
  return { touches, attributed };
}

/**
 * Attribution of the submission. With the snippet's touches, the attributed touch stands in for the
 * page URL and `utm_*` cookies, which only know the page the form is on; what the form itself sends
 * (body, POST URL) still wins, key by key. Without them, the four places of captureUtm.
 */
function attribution(submission: FormSubmission, form: FormConfig, receivedAt: string): { utm: Utm; tracking: Tracking } {
  const body = (name: string): string | undefined => ownValue(submission.body, name);
  const pageUrl = body('page_url')?.trim() || submission.referer;
  const snippet = snippetTouches(submission.body, form, receivedAt);
  const at = (url: string | undefined) => (url ? url.slice(0, 2000) : undefined);
  if (snippet) {
    const none = emptyParams();
    const tracking: Tracking = {
      clickIds: { ...snippet.attributed.clickIds, ...captureClickIds({ body: submission.body, postQuery: submission.postQuery, pageQuery: none, cookies: submission.cookies }) },
      touches: snippet.touches,
    };
    if (pageUrl) tracking.pageUrl = at(pageUrl);
    if (snippet.attributed.referrer) tracking.referrer = snippet.attributed.referrer;
    return { utm: { ...snippet.attributed.utm, ...captureUtm({ body: submission.body, postQuery: submission.postQuery, pageQuery: none, cookies: none }) }, tracking };
  }
  const places = { body: submission.body, postQuery: submission.postQuery, pageQuery: queryOf(pageUrl), cookies: submission.cookies };
  const referrer = body('referrer')?.trim() || (body('page_url') ? submission.referer : undefined);
  return {
    utm: captureUtm(places),
    tracking: {
      clickIds: captureClickIds(places),
      ...(pageUrl ? { pageUrl: at(pageUrl) } : {}),
      ...(referrer && referrer !== pageUrl ? { referrer: at(referrer) } : {}),
    },
  };
}

/**
 * A website form submission becomes a lead: mapped fields, UTM from the four places, click ids,
 * and every unknown field kept as an extra line. Pure: the id and time come in from the caller.
 */
export function formSubmissionToLead(
  submission: FormSubmission,
  form: FormConfig,
  identity: { id: string; receivedAt: string },
): Mapped<Lead> {
  const mapping = fieldMapping(form);
  const builder = new LeadFieldsBuilder(form.phoneCountry);
  const extras: ExtraField[] = [];

  const honeypot = form.honeypot?.toLowerCase();
  const consentInput = form.consent?.input.toLowerCase();
  for (const [rawKey, value] of Object.entries(submission.body)) {
    const key = rawKey.toLowerCase();
    if (key === honeypot || key === consentInput || TRACKING_KEYS.has(key) || value.trim() === '') continue;
    const code = mapping.get(key);
    if (code) builder.set(code, value, rawKey);
    else extras.push({ label: humanLabel(rawKey), value: value.trim() });
  }

  const fields = builder.build();
  const errors = [...builder.errors];
  const consent = form.consent ? formConsentAnswer(ownValue(submission.body, form.consent.input), form.consent.text, identity.receivedAt) : undefined;
  const consentError = applyConsent(fields, form.consent, consent, { path: form.consent?.input ?? 'consent', receivedAt: identity.receivedAt });
  if (consentError) errors.push(consentError);
  if (form.requireContact && !builder.hasContact() && errors.length === 0) {
    errors.push({ field: 'email', message: 'an email or a phone is required' });
  }
  if (errors.length > 0) return { ok: false, errors };

  for (const [code, value] of Object.entries(form.set ?? {})) if (fields[code] === undefined) fields[code] = value;
  if (fields.TITLE === undefined) fields.TITLE = defaultTitle(form, submission.formId, fields);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = 'WEB';

  const { utm, tracking } = attribution(submission, form, identity.receivedAt);
  return {
    ok: true,
    value: {
      id: identity.id,
      source: { kind: 'form', name: submission.formId },
      destination: form.destination,
      receivedAt: identity.receivedAt,
      fields,
      utm,
      tracking: consent ? { ...tracking, consent: consentLine(consent) } : tracking,
      extras,
      trackingField: form.trackingField,
    },
  };
}
