/** A named value of a webhook body, with the label it is shown under when no mapping takes it. */
export interface NamedValue {
  value: string;
  label: string;
}

/** What a webhook body offers the mapping: a document for pointers, names for field names. */
export interface WebhookValues {
  /** The JSON document (or, for a form post without jsonField, its fields). */
  document: unknown;
  /** Values by name, in the body's order. Kept in a Map: the names are whatever the sender posted. */
  named: Map<string, NamedValue>;
  /** Names read by leadgate itself (ids, form metadata): never listed as extras. */
  consumed: Set<string>;
  formName?: string;
  pageUrl?: string;
  /** The vendor's connection test (Tilda's `test=test`): answered, never queued. */
  connectionTest?: boolean;
  /** An event that is not a submission (Webflow's other trigger types): acknowledged, never queued. */
  notASubmission?: string;
}
