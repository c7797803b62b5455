/**
 * Google's standard column ids (LeadFormFieldUserInputType) → Bitrix24 lead fields. REGION is
 * the state or province, so ADDRESS_PROVINCE (Bitrix24's ADDRESS_REGION is a district).
 * Qualifying questions (VEHICLE_MODEL, COMPANY_SIZE…) and national ids go to extras unless configured.
 */
export const GOOGLE_STANDARD_COLUMNS: Readonly<Record<string, string>> = Object.freeze({
  FULL_NAME: 'FULL_NAME',
  FIRST_NAME: 'NAME',
  LAST_NAME: 'LAST_NAME',
  EMAIL: 'EMAIL',
  WORK_EMAIL: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  WORK_PHONE: 'PHONE',
  POSTAL_CODE: 'ADDRESS_POSTAL_CODE',
  STREET_ADDRESS: 'ADDRESS',
  CITY: 'ADDRESS_CITY',
  REGION: 'ADDRESS_PROVINCE',
  COUNTRY: 'ADDRESS_COUNTRY',
  COMPANY_NAME: 'COMPANY_TITLE',
  JOB_TITLE: 'POST',
});

/** `what_type_of_insurance?` → "what type of insurance?", `VEHICLE_MODEL` → "vehicle model". */
export function columnLabel(column: { column_id?: string; column_name?: string }): string {
  const name = column.column_name?.trim();
  if (name) return name;
  const id = column.column_id?.trim() ?? '';
  const spaced = id.replace(/[_-]+/g, ' ').trim();
  return (/^[A-Z0-9 ]+$/.test(spaced) ? spaced.toLowerCase() : spaced) || 'answer';
}
