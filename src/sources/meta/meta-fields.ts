import { ownValue } from '../../lead/own-value';

/**
 * Meta's prefill question keys → Bitrix24 lead fields. Keys are the snake_case names seen in
 * field_data (Meta publishes no official list); FULL_NAME is split by LeadFieldsBuilder.
 * Keys not listed here (gender, marital_status, national ids…) go to extras unless configured.
 */
export const META_STANDARD_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  full_name: 'FULL_NAME',
  first_name: 'NAME',
  last_name: 'LAST_NAME',
  email: 'EMAIL',
  work_email: 'EMAIL',
  phone_number: 'PHONE',
  work_phone_number: 'PHONE',
  whatsapp_number: 'PHONE',
  street_address: 'ADDRESS',
  city: 'ADDRESS_CITY',
  state: 'ADDRESS_PROVINCE',
  province: 'ADDRESS_PROVINCE',
  country: 'ADDRESS_COUNTRY',
  zip_code: 'ADDRESS_POSTAL_CODE',
  post_code: 'ADDRESS_POSTAL_CODE',
  postal_code: 'ADDRESS_POSTAL_CODE',
  company_name: 'COMPANY_TITLE',
  job_title: 'POST',
  date_of_birth: 'BIRTHDATE',
});

/** Meta's `platform` codes → the utm_source marketers use. */
const PLATFORMS: Readonly<Record<string, string>> = Object.freeze({
  fb: 'facebook',
  facebook: 'facebook',
  ig: 'instagram',
  instagram: 'instagram',
  msgr: 'messenger',
  messenger: 'messenger',
  an: 'audience_network',
  wa: 'whatsapp',
  whatsapp: 'whatsapp',
});

/**
 * `fb` → facebook, `ig` → instagram. An absent platform (test-tool leads, older API versions) is
 * facebook: every lead form lives on a Facebook Page.
 */
export function platformName(platform: string | undefined): string {
  const key = platform?.trim().toLowerCase();
  if (!key) return 'facebook';
  return ownValue(PLATFORMS, key) ?? key;
}

/**
 * A date of birth as Bitrix24's YYYY-MM-DD, or undefined when it cannot be read unambiguously.
 * Meta sends US order (MM/DD/YYYY); an unreadable date is kept as an extra instead of being
 * rejected by Bitrix24.
 */
export function isoBirthdate(value: string): string | undefined {
  const text = value.trim();
  let year: number;
  let month: number;
  let day: number;
  const iso = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  const us = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(text);
  if (iso) [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (us) [year, month, day] = [Number(us[3]), Number(us[1]), Number(us[2])];
  else return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return date.toISOString().slice(0, 10);
}

/** `selected_dealer` → "selected dealer": a readable label for an extra line. */
export function humanLabel(key: string): string {
  return key.replace(/[_-]+/g, ' ').trim() || key;
}
