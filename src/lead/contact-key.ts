import * as crypto from 'node:crypto';
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
  return normalisedContactHash(normaliseContact(raw));
}

/** `crypto.hash` (Node 20.12+, not in this @types/node): a third of createHash's time for a short string, two per lead. */
const oneShotHash = (crypto as unknown as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** contactHash of a contact already normalised (what leadContacts gives), without normalising it again. */
export function normalisedContactHash(contact: string): string {
  return oneShotHash ? oneShotHash('sha256', contact, 'hex') : crypto.createHash('sha256').update(contact, 'utf8').digest('hex');
}

/** E.164 as libphonenumber writes it: what a lead's PHONE holds once the number parsed. */
const E164 = /^\+[1-9]\d{4,15}$/;

/**
 * Every email and phone of a lead, normalised. A lead's phones were normalised when it was mapped
 * (LeadFieldsBuilder): one already in E.164 is its own normal form (a valid number formats back to
 * itself, an invalid one stays as it was), so it is not parsed a second time.
 */
export function leadContacts(fields: LeadFields): string[] {
  const out = new Set<string>();
  for (const code of ['EMAIL', 'PHONE']) {
    const value = fields[code];
    if (!Array.isArray(value)) continue;
    for (const entry of value) {
      if (!entry.VALUE.trim()) continue;
      out.add(code === 'PHONE' && E164.test(entry.VALUE) ? entry.VALUE : normaliseContact(entry.VALUE));
    }
  }
  return [...out];
}
