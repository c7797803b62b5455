import type { CaptchaProvider } from '../config/form-captcha-config';
import { FILL_MS_FIELD, SHOWN_AT_FIELD } from '../sources/fill-time';

/** The field each provider's widget adds to the form it sits in. */
export const CAPTCHA_TOKEN_FIELDS: Readonly<Record<CaptchaProvider, string>> = Object.freeze({
  turnstile: 'cf-turnstile-response',
  recaptcha: 'g-recaptcha-response',
  hcaptcha: 'h-captcha-response',
});

/** Where a script that posts JSON without the widget's field puts the token instead. */
export const CAPTCHA_TOKEN_HEADER = 'captcha-token';

/** Fields that steer the spam rules: never lead data, never in COMMENTS, never in the fingerprint. */
const SPAM_CONTROL_FIELDS = new Set<string>([...Object.values(CAPTCHA_TOKEN_FIELDS), SHOWN_AT_FIELD, FILL_MS_FIELD]);

/**
 * The submitted fields without the spam-control ones: a null-prototype copy (as the input was), or the
 * input itself when it has none of them (most posts: a copy per post is garbage for nothing). Not to be mutated.
 */
export function withoutSpamControls(fields: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  let controls = false;
  for (const name in fields) if (SPAM_CONTROL_FIELDS.has(name.toLowerCase())) controls = true;
  if (!controls) return fields;
  const kept = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(fields)) if (!SPAM_CONTROL_FIELDS.has(name.toLowerCase())) kept[name] = value;
  return kept;
}

/**
 * The raw token as the body carried it (before values were flattened to text, so a list or an object
 * is seen as what it is), else the header. Own properties only: the body's names are the visitor's.
 */
export function rawCaptchaToken(provider: CaptchaProvider, body: unknown, header: string | string[] | undefined): unknown {
  const field = CAPTCHA_TOKEN_FIELDS[provider];
  if (body !== null && typeof body === 'object' && Object.hasOwn(body, field)) return (body as Record<string, unknown>)[field];
  return header;
}
