import type { Lead } from '../lead/lead';
import { deriveLeadId } from '../lead/lead-id';
import type { LeadgenNotification } from '../lead/leadgen-notification';
import { packLead, packLeadV4, unpackLead, unpackLeadV4, type PackedLead, type PackedLeadV4 } from './packed-lead';

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
/**
 * v3 without the lead id, which is the job's id (every delivery job is added with `jobId: lead.id`),
 * and with UTM keys as letters: ~60 characters less, the job hash 128 bytes smaller for the bench's
 * lead (packed-lead.ts `PackedLeadV4`). Workers before this version leave a v4 job in its queue
 * (UnknownPayloadError): upgrade workers first.
 */
export interface DeliverLeadJobV4 {
  v: 4;
  l: PackedLeadV4;
  r?: 1;
}
export type DeliverLeadJob = DeliverLeadJobV1 | DeliverLeadJobV2 | DeliverLeadJobV3 | DeliverLeadJobV4;

export const DELIVER_LEAD_JOB = 'deliver-lead';

/** The payload of the job that delivers `lead`; the job must be added with `jobId: lead.id` (LeadQueue.jobOptions). */
export function deliverLeadJob(lead: Lead, options: { reconcileFirst?: boolean } = {}): DeliverLeadJobV3 | DeliverLeadJobV4 {
  const reconcile = options.reconcileFirst ? { r: 1 as const } : {};
  const v4 = packLeadV4(lead);
  return v4 ? { v: 4, l: v4, ...reconcile } : { v: 3, l: packLead(lead), ...reconcile };
}

/** A v4 payload read without its job's id: the lead's id is the job's, so it cannot be told. */
export class JobIdRequiredError extends Error {
  constructor() {
    super('a v4 delivery payload carries no lead id: read it with its job id');
    this.name = 'JobIdRequiredError';
  }
}

/** A payload this worker cannot read (written by a newer leadgate): left for a worker that can. */
export class UnknownPayloadError extends Error {
  constructor(version: unknown) {
    super(`job payload version ${String(version)} is newer than this worker understands; upgrade the worker`);
    this.name = 'UnknownPayloadError';
  }
}

/** Reads any payload version this worker knows into the current shape; `jobId` is the job's id (the lead's, for v4). */
export function readDeliverLeadJob(data: DeliverLeadJob, jobId: string | undefined): DeliverLeadJobV2 {
  switch (data.v) {
    case 1:
      return { v: 2, lead: data.lead, reconcileFirst: false };
    case 2:
      return data;
    case 3:
      return { v: 2, lead: unpackLead(data.l), reconcileFirst: data.r === 1 };
    case 4:
      if (jobId === undefined) throw new JobIdRequiredError();
      return { v: 2, lead: unpackLeadV4(data.l, jobId), reconcileFirst: data.r === 1 };
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
