import type { Lead } from '../lead/lead';
import { deriveLeadId } from '../lead/lead-id';
import type { LeadgenNotification } from '../lead/leadgen-notification';
import { packLead, unpackLead, type PackedLead } from './packed-lead';

/** The first payload: written by leadgate before replays could ask for a lookup. Still read. */
export interface DeliverLeadJobV1 {
  v: 1;
  lead: Lead;
}

/** Job payloads are versioned so a newer worker can still read what an older API queued. */
export interface DeliverLeadJobV2 {
  v: 2;
  lead: Lead;
  /** Look for the lead in Bitrix24 before adding it (a replayed dead letter may have been created). */
  reconcileFirst: boolean;
}
/**
 * The lead packed (packed-lead.ts): a queued lead's job is most of what Redis holds for it. Workers
 * before this version leave a v3 job in its queue (UnknownPayloadError): upgrade workers first.
 */
export interface DeliverLeadJobV3 {
  v: 3;
  l: PackedLead;
  /** Look for the lead in Bitrix24 before adding it; absent when not. */
  r?: 1;
}
export type DeliverLeadJob = DeliverLeadJobV1 | DeliverLeadJobV2 | DeliverLeadJobV3;

export const DELIVER_LEAD_JOB = 'deliver-lead';

export function deliverLeadJob(lead: Lead, options: { reconcileFirst?: boolean } = {}): DeliverLeadJobV3 {
  return { v: 3, l: packLead(lead), ...(options.reconcileFirst ? { r: 1 as const } : {}) };
}

/** A payload this worker cannot read (written by a newer leadgate): left for a worker that can. */
export class UnknownPayloadError extends Error {
  constructor(version: unknown) {
    super(`job payload version ${String(version)} is newer than this worker understands; upgrade the worker`);
    this.name = 'UnknownPayloadError';
  }
}

/** Reads any payload version this worker knows into the current shape. */
export function readDeliverLeadJob(data: DeliverLeadJob): DeliverLeadJobV2 {
  switch (data.v) {
    case 1:
      return { v: 2, lead: data.lead, reconcileFirst: false };
    case 2:
      return data;
    case 3:
      return { v: 2, lead: unpackLead(data.l), reconcileFirst: data.r === 1 };
    default:
      throw new UnknownPayloadError((data as { v?: unknown }).v);
  }
}

/**
 * A lead was created after a lookup found nothing, so an earlier request that timed out may still
 * commit it a second time: some minutes later, look again and delete later copies.
 */
export interface CheckDuplicatesJobV1 {
  v: 1;
  leadId: string;
}
export const CHECK_DUPLICATES_JOB = 'check-duplicates';

/** One check per delivery attempt: a crash-and-retry of the same attempt schedules it only once. */
export function checkDuplicatesJobId(leadId: string, attempt: number): string {
  return `dup-${leadId}-${attempt}`;
}

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

/**
 * The fetch job of an announced lead, whichever path found it (webhook, backfill): the lead id comes
 * from the leadgen_id, so both paths make the same job and the same delivery.
 */
export function fetchMetaLeadJob(notification: LeadgenNotification, receivedAt: string): FetchMetaLeadJobV1 {
  return { v: 1, notification, leadId: deriveLeadId({ kind: 'meta', scope: '', id: notification.leadgenId }), receivedAt };
}

export const FETCH_META_LEAD_JOB = 'fetch-meta-lead';

/** Reads any fetch-job payload version this worker knows. */
export function readFetchMetaLeadJob(data: FetchMetaLeadJob): FetchMetaLeadJobV1 {
  if (data.v === 1) return data;
  throw new UnknownPayloadError((data as { v?: unknown }).v);
}

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

/**
 * Options every leadgate `Queue` is made with (each instance writes them to the queue's meta hash on
 * start, so all must agree). BullMQ's event stream keeps the last 10,000 events by default, ~300
 * bytes each, whatever the number of leads: ~3 MB per queue. leadgate reads it only for the
 * failed-job net, which also sweeps the failed set every minute, so 1,000 events are plenty.
 */
export const QUEUE_STREAMS = { events: { maxLen: 1000 } };
