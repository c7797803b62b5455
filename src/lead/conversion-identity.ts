import type { Lead } from './lead';

/** Google's click ids an offline click conversion can be uploaded by (gbraid/wbraid: iOS app/web clicks). */
export const GOOGLE_CLICK_KEYS = ['gclid', 'gbraid', 'wbraid'] as const;
export type GoogleClickKey = (typeof GOOGLE_CLICK_KEYS)[number];

/**
 * What the ad platforms need to recognise a lead later, when Bitrix24 reports its progress: the
 * Meta lead id (leadgen_id) of a Lead Ads lead, and the Google click id with the time of the click.
 */
export interface ConversionIdentity {
  metaLeadId?: string;
  google?: { key: GoogleClickKey; value: string; clickAt: string };
}

/**
 * The identity of a lead, or undefined when no platform could use it. The click time is the touch
 * that carried the click id (the snippet's landing), else the lead's receipt: a click cannot be later.
 */
export function conversionIdentity(lead: Pick<Lead, 'source' | 'tracking' | 'receivedAt'>): ConversionIdentity | undefined {
  const identity: ConversionIdentity = {};
  const ids = lead.tracking.clickIds ?? {};
  const metaLeadId = lead.source.kind === 'meta' ? lead.source.externalId : undefined;
  if (metaLeadId && /^[0-9]{1,32}$/.test(metaLeadId)) identity.metaLeadId = metaLeadId;
  const touches = [lead.tracking.touches?.last, lead.tracking.touches?.first].filter((t) => t !== undefined);
  for (const key of GOOGLE_CLICK_KEYS) {
    const value = Object.hasOwn(ids, key) ? ids[key] : undefined;
    if (!value) continue;
    const touch = touches.find((t) => Object.hasOwn(t.clickIds, key) && t.clickIds[key] === value && t.at);
    identity.google = { key, value, clickAt: touch?.at ?? lead.receivedAt };
    break;
  }
  return identity.metaLeadId || identity.google ? identity : undefined;
}
