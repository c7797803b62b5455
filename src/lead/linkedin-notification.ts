/** A lead notification: ids only; the answers are read from the Lead Sync API. */
export interface LinkedInNotification {
  /** The id inside `urn:li:leadGenFormResponse:<id>`: the API path and the dedup key. */
  responseId: string;
  action: 'CREATED' | 'DELETED';
  formUrn?: string;
  /** The form id inside `urn:li:versionedLeadGenForm:(urn:li:leadGenForm:<id>,<version>)`. */
  formId?: string;
  ownerUrn?: string;
  creativeUrn?: string;
  leadType?: string;
  occurredAt?: number;
}
