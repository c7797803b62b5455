/**
 * The one lead shape every source is normalised into before it is queued.
 *
 * `fields` already carries Bitrix24 field codes (NAME, EMAIL, UF_CRM_…): the form config names them,
 * so the mapping decision is made once, at intake, where the submission is still at hand.
 */
export type BitrixMultifield = Array<{ VALUE: string; VALUE_TYPE: string }>;
export type BitrixFieldValue = string | number | BitrixMultifield;
export type LeadFields = Record<string, BitrixFieldValue>;

export type LeadSourceKind = 'form' | 'meta' | 'google' | 'partner' | 'webhook' | 'linkedin' | 'tiktok';

export interface LeadSource {
  kind: LeadSourceKind;
  /** Form id, partner name, Meta page id, Google form id, webhook name, LinkedIn or TikTok owner. */
  name: string;
  /** The platform's own id for the lead (Meta leadgen_id, Google lead_id, partner reference). */
  externalId?: string;
}

export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
}

/** One visit the site's snippet recorded: a campaign landing, or the first visit of all. */
export interface Touch {
  utm: Utm;
  clickIds: Record<string, string>;
  landingPage?: string;
  referrer?: string;
  /** When it happened, on our clock (the snippet sends its age, so the visitor's clock does not matter). */
  at?: string;
}

/** The snippet's touches; `attribution` names the one whose campaign fills UTM_*. */
export interface Touches {
  attribution: 'first' | 'last';
  first?: Touch;
  last?: Touch;
  /** From the first touch to the submission. */
  secondsSinceFirstTouch?: number;
}

/** Attribution kept beside the UTM fields: click ids, Meta cookies, where the visitor came from. */
export interface Tracking {
  clickIds: Record<string, string>;
  pageUrl?: string;
  referrer?: string;
  touches?: Touches;
  /** Marketing consent as the person gave it (yes/no, when, the wording), for the tracking block. */
  consent?: string;
}

export interface ExtraField {
  label: string;
  value: string;
}

export interface Lead {
  /** Our id: also the BullMQ job id and the Bitrix24 ORIGIN_ID. Never digits-only, never contains ':'. */
  id: string;
  source: LeadSource;
  destination: string;
  receivedAt: string;
  fields: LeadFields;
  utm: Utm;
  tracking: Tracking;
  /** Submitted fields no mapping knew; they end up in COMMENTS so nothing the visitor typed is dropped. */
  extras: ExtraField[];
  /** Where tracking and extras are written in Bitrix24 (default COMMENTS). */
  trackingField: string;
  test?: boolean;
}

export const UTM_KEYS = ['source', 'medium', 'campaign', 'content', 'term'] as const;
export type UtmKey = (typeof UTM_KEYS)[number];
