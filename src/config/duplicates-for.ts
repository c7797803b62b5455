/** Kept apart from the shape so config.ts can import DuplicatesConfig without a cycle. */
import type { LeadSource } from '../lead/lead';
import type { Config } from './config';
import type { DuplicatesConfig } from './duplicates-config';

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
      case 'webhook':
        return config.sources?.webhooks && Object.hasOwn(config.sources.webhooks, source.name) ? config.sources.webhooks[source.name]?.duplicates : undefined;
      case 'linkedin':
        return config.sources?.linkedin?.duplicates;
      case 'tiktok':
        return config.sources?.tiktok?.duplicates;
      default:
        return undefined;
    }
  })();
  return found && found.action !== 'create' ? found : undefined;
}
