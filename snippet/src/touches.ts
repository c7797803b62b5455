/** Campaign parameters a visit can carry; the same names leadgate reads (src/lead/utm.ts). */
const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];
const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id', 'yclid', 'twclid', 'rdt_cid'];
const META_COOKIES = ['_fbc', '_fbp'];

/** One visit: its campaign parameters by name, `landing`, `referrer`, and `t` (epoch ms). */
export type Touch = Record<string, string | number>;
export interface Touches {
  f: Touch;
  l: Touch;
}

export function cookieValue(cookies: string, name: string): string | undefined {
  for (const part of cookies.split('; ')) if (part.startsWith(name + '=')) return decodeURIComponent(part.slice(name.length + 1));
  return undefined;
}

/** This page view as a touch, and whether it is a campaign visit (any utm_* or click id in the URL). */
export function visitTouch(href: string, referrer: string, cookies: string, now: number): { touch: Touch; campaign: boolean } {
  const query = new URL(href).searchParams;
  const touch: Touch = { landing: href.slice(0, 2000), t: now };
  if (referrer) touch.referrer = referrer.slice(0, 2000);
  let campaign = false;
  for (const name of UTM.concat(CLICK_IDS)) {
    const value = query.get(name);
    if (value) (touch[name] = value.slice(0, 255)), (campaign = true);
  }
  for (const name of META_COOKIES) {
    const value = cookieValue(cookies, name);
    if (value) touch[name] = value.slice(0, 255);
  }
  return { touch, campaign };
}

/**
 * The touches after this visit. A touch older than the window is forgotten (a first touch outlived
 * by the last falls back to it); a campaign visit replaces the last touch, never the first; a plain
 * visit only starts the record when there is none.
 */
export function nextTouches(stored: Touches | undefined, visit: { touch: Touch; campaign: boolean }, now: number, days: number): Touches {
  const fresh = (touch: Touch | undefined) => (touch && now - Number(touch.t) < days * 864e5 ? touch : undefined);
  const last = fresh(stored?.l);
  const first = fresh(stored?.f) ?? last;
  if (visit.campaign) return { f: first ?? visit.touch, l: visit.touch };
  return first && last ? { f: first, l: last } : { f: visit.touch, l: visit.touch };
}

/** A touch as sent in a hidden field: its age in seconds at submission instead of the visitor's clock. */
export function touchField(touch: Touch, now: number): string {
  const { t, ...rest } = touch;
  return JSON.stringify({ ...rest, age: Math.max(0, Math.round((now - Number(t)) / 1000)) });
}
