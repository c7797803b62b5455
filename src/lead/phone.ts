import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Longer than any phone written with spaces and brackets; longer text is not parsed at all. */
export const MAX_PHONE_LENGTH = 40;

const PHONE_TEXT = /^\+?[0-9 ()./-]+$/;

/**
 * Something a person could dial: phone characters only, 5 to 15 digits (E.164's maximum) and not
 * one digit repeated ("00000", "-----" and 10,000 digits are no contact detail).
 */
function dialable(text: string): boolean {
  const digits = text.replace(/[^0-9]/g, '');
  return PHONE_TEXT.test(text) && digits.length >= 5 && digits.length <= 15 && !oneDigitRepeated(digits);
}

/** "7777777777" parses as a valid Kazakh number, but nobody gives that as their phone. */
function oneDigitRepeated(digits: string): boolean {
  return /^(\d)\1*$/.test(digits);
}

/**
 * E.164 when the number parses (with the form's default country for national numbers);
 * otherwise the visitor's text, trimmed, valid only if it could still be dialled: a lead with an
 * odd but real phone is still a lead, a lead whose "phone" is punctuation is not.
 */
export function normalisePhone(raw: string, defaultCountry?: string): { value: string; valid: boolean } {
  const text = raw.trim();
  if (text.length > MAX_PHONE_LENGTH) return { value: text.slice(0, MAX_PHONE_LENGTH), valid: false };
  if (oneDigitRepeated(text.replace(/[^0-9]/g, ''))) return { value: text, valid: false };
  const parsed = parsePhoneNumberFromString(text, defaultCountry as CountryCode | undefined);
  // E.164 allows 15 digits; libphonenumber lets some German numbers run longer.
  if (parsed && parsed.isValid() && parsed.number.length <= 16) return { value: parsed.number, valid: true };
  return { value: text, valid: dialable(text) };
}
