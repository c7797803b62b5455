import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * E.164 when the number parses (with the form's default country for national numbers);
 * otherwise the visitor's text, trimmed: a lead with an odd phone is still a lead.
 */
export function normalisePhone(raw: string, defaultCountry?: string): { value: string; valid: boolean } {
  const text = raw.trim();
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode | undefined);
  if (parsed && parsed.isValid()) return { value: parsed.number, valid: true };
  return { value: text, valid: /^\+?[0-9 ()./-]{5,}$/.test(text) };
}
