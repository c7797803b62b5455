import type { Lead } from '../lead/lead';

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
