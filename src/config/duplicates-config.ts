/** Returning customers (`duplicates` on a form or source): how a person already in the CRM is found, and what then. */
export interface DuplicatesConfig {
  match: Array<'email' | 'phone'>;
  /** attach: link the new lead to the person; update: comment on their open lead instead; create: no lookup. */
  action: 'attach' | 'update' | 'create';
}

