/** Returning customers (`duplicates` on a form or source): how a person already in the CRM is found, and what then. */
import type { LeadSource } from '../lead/lead';
import type { Config } from './config';

export interface DuplicatesConfig {
  match: Array<'email' | 'phone'>;
  /** attach: link the new lead to the person; update: comment on their open lead instead; create: no lookup. */
  action: 'attach' | 'update' | 'create';
}

/** The setting for a lead's form or source; undefined = today's behaviour (create, no lookup). */
export function duplicatesFor(config: Config, source: LeadSource): DuplicatesConfig | undefined {
  const found = (() => {
    switch (source.kind) {
      case 'form':
        return config.forms[source.name]?.duplicates;
      case 'partner':
        return config.sources?.partners[source.name]?.duplicates;
      case 'meta':
        return config.sources?.meta?.duplicates;
      case 'google':
        return config.sources?.google?.duplicates;
    }
  })();
  return found && found.action !== 'create' ? found : undefined;
}
