import type { LeadFields } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';

/** Who the lead is, for a title: the person's name, else their email, else their phone. */
export function leadPersonLabel(fields: LeadFields): string {
  const person = [fields.NAME, fields.LAST_NAME].filter((v) => typeof v === 'string' && v).join(' ');
  const email = Array.isArray(fields.EMAIL) ? fields.EMAIL[0]?.VALUE : undefined;
  const phone = Array.isArray(fields.PHONE) ? fields.PHONE[0]?.VALUE : undefined;
  return person || email || phone || 'new lead';
}

/**
 * TITLE from a template: `{name}` is the person, other `{placeholders}` come from `vars` (empty
 * when unknown). Test leads get a "[TEST] " prefix so nobody calls them. Used by every source.
 */
export function leadTitle(template: string, fields: LeadFields, vars: Record<string, string | undefined>, test: boolean): string {
  const existing = typeof fields.TITLE === 'string' && fields.TITLE.trim() !== '' ? fields.TITLE : undefined;
  const text = existing ?? template
    .replace(/\{([a-z_]+)\}/gi, (_m, name: string) => (name === 'name' ? leadPersonLabel(fields) : (ownValue(vars, name) ?? '')))
    .replace(/\s+/g, ' ')
    .trim();
  return (test ? `[TEST] ${text}` : text).slice(0, 255);
}
