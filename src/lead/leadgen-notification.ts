/**
 * A lead a platform announced by webhook with ids only (Meta's leadgen notification): what the fetch
 * job carries until the lead itself is read from the platform's API.
 */
export interface LeadgenNotification {
  leadgenId: string;
  pageId: string;
  formId?: string;
  adId?: string;
  adgroupId?: string;
  /** Unix seconds, as Meta sends it. */
  createdTime?: number;
}
