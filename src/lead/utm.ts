import { UTM_KEYS, type Touch, type Utm } from './lead';
import { ownValue as own } from './own-value';

/** Click ids kept with the lead: Google (gclid, gbraid, wbraid), Meta, Microsoft, TikTok, LinkedIn, Yandex, X, Reddit. */
export const CLICK_ID_KEYS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id', 'yclid', 'twclid', 'rdt_cid'] as const;
/** Meta browser cookies, sent unhashed to Meta's Conversions API later, so kept verbatim. */
export const META_COOKIE_KEYS = ['_fbc', '_fbp'] as const;

export type Params = Record<string, string | undefined>;

/** A Params object without a prototype: the names in it come from visitors (query strings, cookies). */
export function emptyParams(): Params {
  return Object.create(null) as Params;
}

/** Where UTM values may be found, in order of precedence. */
export interface UtmPlaces {
  body: Params;
  postQuery: Params;
  pageQuery: Params;
  cookies: Params;
}

function clean(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 255);
}

/**
 * The five UTM parameters, each taken from the first place that has it: the body, the POST URL's query,
 * the landing page's query, then `utm_*` cookies. Per-key precedence (not per-place) keeps a campaign
 * found in the page URL when the form only added utm_source, which is what marketers expect.
 */
export function captureUtm(places: UtmPlaces): Utm {
  const utm: Utm = {};
  for (const key of UTM_KEYS) {
    const name = `utm_${key}`;
    const value =
      clean(own(places.body, name)) ?? clean(own(places.postQuery, name)) ?? clean(own(places.pageQuery, name)) ?? clean(own(places.cookies, name));
    if (value !== undefined) utm[key] = value;
  }
  return utm;
}

/** Click ids from the same places (case preserved: gbraid and fbclid are case-sensitive). */
export function captureClickIds(places: UtmPlaces): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const key of CLICK_ID_KEYS) {
    const value = clean(own(places.body, key)) ?? clean(own(places.postQuery, key)) ?? clean(own(places.pageQuery, key)) ?? clean(own(places.cookies, key));
    if (value !== undefined) ids[key] = value;
  }
  for (const key of META_COOKIE_KEYS) {
    const value = clean(own(places.body, key.slice(1))) ?? clean(own(places.cookies, key));
    if (value !== undefined) ids[key.slice(1)] = value;
  }
  return ids;
}

/** Query parameters of a URL, or nothing when the URL is absent or unparsable. */
export function queryOf(url: string | undefined): Params {
  const out = emptyParams();
  if (!url) return out;
  try {
    for (const [key, value] of new URL(url).searchParams) if (!Object.hasOwn(out, key)) out[key] = value;
  } catch {
    /* an unparsable page URL carries no attribution */
  }
  return out;
}

/** Parses a Cookie header without throwing on malformed pairs (visitors' cookies are not ours to trust). */
export function parseCookies(header: string | undefined): Params {
  const out = emptyParams();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      /* keep the raw value */
    }
    if (name && !Object.hasOwn(out, name)) out[name] = value;
  }
  return out;
}

/** Longer than any touch the snippet writes (two URLs of 2000 characters and the parameters). */
const MAX_TOUCH_JSON = 8000;
/** Ten years: an older "age" is not a visit the snippet could still hold. */
const MAX_TOUCH_AGE_SECONDS = 10 * 365 * 86_400;

/**
 * A touch as the snippet sends it (`lg_first_touch`, `lg_last_touch`): a JSON object of campaign
 * parameters by name, `landing`, `referrer` and `age` (seconds before the submission). Anything
 * else, or text that is not such an object, is no touch: attribution never costs a lead.
 */
export function parseTouch(text: string | undefined, receivedAt: string): Touch | undefined {
  if (!text || text.length > MAX_TOUCH_JSON) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const params = emptyParams();
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') params[key] = value;
  const none = emptyParams();
  // The touch's own `_fbc`/`_fbp` are read like cookies: they were the cookies of that visit.
  const places = { body: params, postQuery: none, pageQuery: none, cookies: params };
  const touch: Touch = { utm: captureUtm(places), clickIds: captureClickIds(places) };
  const landing = own(params, 'landing')?.trim().slice(0, 2000);
  const referrer = own(params, 'referrer')?.trim().slice(0, 2000);
  if (landing) touch.landingPage = landing;
  if (referrer) touch.referrer = referrer;
  const age = (raw as Record<string, unknown>).age;
  if (typeof age === 'number' && age >= 0 && age <= MAX_TOUCH_AGE_SECONDS) touch.at = new Date(Date.parse(receivedAt) - Math.round(age) * 1000).toISOString();
  return touch;
}
