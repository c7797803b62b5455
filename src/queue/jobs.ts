import type { Lead } from '../lead/lead';
import type { LeadgenNotification } from '../sources/meta/leadgen-webhook';

/** Job payloads are versioned so a newer worker can still read what an older API queued. */
export interface DeliverLeadJobV1 {
  v: 1;
  lead: Lead;
}
export type DeliverLeadJob = DeliverLeadJobV1;

export const DELIVER_LEAD_JOB = 'deliver-lead';

/** What a delivered job returns (kept by BullMQ for the retention period). */
export interface DeliveryReceipt {
  bitrixLeadId: number;
  /** True when the lead was found already created (a retry after an ambiguous failure). */
  reconciled: boolean;
}

/**
 * One queue per destination portal: a portal that is rate-limited, paused or down holds back only
 * its own leads, and BullMQ's queue-wide rate limit becomes a per-portal one.
 */
export function deliveryQueueName(destination: string): string {
  return `deliver-${destination}`;
}

/**
 * A Meta webhook announced a lead (ids only): the worker reads it from the Graph API, then puts the
 * Lead on its delivery queue. `leadId` is fixed here, at receipt, so a re-run of this job enqueues
 * the same delivery job (same BullMQ id) instead of a second lead.
 */
export interface FetchMetaLeadJobV1 {
  v: 1;
  notification: LeadgenNotification;
  leadId: string;
  receivedAt: string;
}
export type FetchMetaLeadJob = FetchMetaLeadJobV1;

export const FETCH_META_LEAD_JOB = 'fetch-meta-lead';

/** One queue for every Meta lead still to be read from the Graph API. */
export const META_LEADS_QUEUE = 'meta-leads';

/** BullMQ job id of a Meta lead's fetch job: one per leadgen_id while the job is kept. */
export function metaFetchJobId(leadgenId: string): string {
  return `meta-${leadgenId}`;
}

/** What a fetch job returns. */
export interface FetchMetaLeadResult {
  leadId: string;
  outcome: 'queued' | 'dropped_test';
}

/** Queue name → payload: the one map producers and workers agree on. */
export interface QueuePayloads {
  [META_LEADS_QUEUE]: FetchMetaLeadJob;
  [delivery: `deliver-${string}`]: DeliverLeadJob;
}
