import { createHash } from 'node:crypto';
import type { LeadFields } from './lead';
import { normalisePhone } from './phone';

/**
 * A person's email or phone as one comparable string: an email trimmed and lower-cased, a phone in
 * E.164 when it parses (else its digits, with a leading + kept). Leads store them the same way.
 */
export function normaliseContact(raw: string): string {
  const text = raw.trim();
  if (text.includes('@')) return text.toLowerCase();
  const phone = normalisePhone(text).value;
  return phone.replace(/(?!^\+)[^0-9]/g, '');
}

/** SHA-256 of the normalised contact: what indexes hold, never the value itself. */
export function contactHash(raw: string): string {
  return createHash('sha256').update(normaliseContact(raw), 'utf8').digest('hex');
}

/** Every email and phone of a lead, normalised. */
export function leadContacts(fields: LeadFields): string[] {
  const out = new Set<string>();
  for (const code of ['EMAIL', 'PHONE']) {
    const value = fields[code];
    if (Array.isArray(value)) for (const entry of value) if (entry.VALUE.trim()) out.add(normaliseContact(entry.VALUE));
  }
  return [...out];
}
