/** A lead's progress in Bitrix24, as one event for one ad platform (the conversion loop). */
import { createHash } from 'node:crypto';
import type { GoogleClickKey } from './conversion-identity';

export type CrmEntity = 'lead' | 'deal';
export type ConversionPlatform = 'meta' | 'google';
export const CONVERSION_PLATFORMS: readonly ConversionPlatform[] = ['meta', 'google'];

/** One funnel stage of one lead, for one platform: sent exactly once. */
export interface Conversion {
  /** Deterministic (lead, platform, event): Meta's event_id, Google's transaction id, the job id's tail. */
  id: string;
  leadId: string;
  platform: ConversionPlatform;
  /** Meta event_name, or the Google conversion action's name. */
  eventName: string;
  destination: string;
  /** The Bitrix24 record and stage that reached it, and when (from the stage history). */
  stage: { entity: CrmEntity; crmId: number; stageId: string; at: string };
  metaLeadId?: string;
  click?: { key: GoogleClickKey; value: string; clickAt: string };
  value?: { amount: number; currency: string };
}

/** The same lead, platform and event always give the same id, whichever path (event, sweep, replay) found it. */
export function conversionId(leadId: string, platform: ConversionPlatform, eventName: string): string {
  return createHash('sha256').update(`${leadId}\u0000${platform}\u0000${eventName}`).digest('hex').slice(0, 32);
}

