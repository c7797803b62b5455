/** The lead schema as `crm.lead.fields` describes it; drives validation, storage order and `select`. */

export type LeadFieldType =
  | 'integer'
  | 'string'
  | 'char'
  | 'double'
  | 'date'
  | 'datetime'
  | 'user'
  | 'crm_status'
  | 'crm_currency'
  | 'crm_company'
  | 'crm_contact'
  | 'crm_multifield';

export interface LeadFieldSpec {
  type: LeadFieldType;
  title: string;
  readOnly?: boolean;
  multiple?: boolean;
  statusType?: string;
  settings?: Record<string, unknown>;
  deprecated?: boolean;
}

const ro = (type: LeadFieldType, title: string): LeadFieldSpec => ({ type, title, readOnly: true });
const rw = (type: LeadFieldType, title: string): LeadFieldSpec => ({ type, title });
const multi = (title: string): LeadFieldSpec => ({ type: 'crm_multifield', title, multiple: true });

/** Scalar fields in the order Bitrix returns them from crm.lead.get. */
export const SCALAR_FIELDS: ReadonlyMap<string, LeadFieldSpec> = new Map<string, LeadFieldSpec>([
  ['ID', ro('integer', 'ID')],
  ['TITLE', rw('string', 'Lead Name')],
  ['HONORIFIC', { type: 'crm_status', title: 'Salutation', statusType: 'HONORIFIC' }],
  ['NAME', rw('string', 'First name')],
  ['SECOND_NAME', rw('string', 'Middle name')],
  ['LAST_NAME', rw('string', 'Last name')],
  ['COMPANY_TITLE', rw('string', 'Company name')],
  ['COMPANY_ID', { type: 'crm_company', title: 'Company', settings: { parentEntityTypeId: 4 } }],
  ['CONTACT_ID', { type: 'crm_contact', title: 'Contact', deprecated: true }],
  ['IS_RETURN_CUSTOMER', ro('char', 'Repeat lead')],
  ['BIRTHDATE', rw('date', 'Date of birth')],
  ['SOURCE_ID', { type: 'crm_status', title: 'Source', statusType: 'SOURCE' }],
  ['SOURCE_DESCRIPTION', rw('string', 'Source information')],
  ['STATUS_ID', { type: 'crm_status', title: 'Stage', statusType: 'STATUS' }],
  ['STATUS_DESCRIPTION', rw('string', 'Stage details')],
  ['POST', rw('string', 'Position')],
  ['COMMENTS', rw('string', 'Comment')],
  ['CURRENCY_ID', rw('crm_currency', 'Currency')],
  ['OPPORTUNITY', rw('double', 'Total')],
  ['IS_MANUAL_OPPORTUNITY', rw('char', 'Manual total')],
  ['HAS_PHONE', ro('char', 'Has phone')],
  ['HAS_EMAIL', ro('char', 'Has email')],
  ['HAS_IMOL', ro('char', 'Has Open Channel')],
  ['ASSIGNED_BY_ID', rw('user', 'Responsible person')],
  ['CREATED_BY_ID', ro('user', 'Created by')],
  ['MODIFY_BY_ID', ro('user', 'Modified by')],
  ['DATE_CREATE', ro('datetime', 'Created on')],
  ['DATE_MODIFY', ro('datetime', 'Modified on')],
  ['DATE_CLOSED', ro('datetime', 'Closed')],
  ['STATUS_SEMANTIC_ID', ro('string', 'Status details')],
  ['OPENED', rw('char', 'Available to everyone')],
  ['ORIGINATOR_ID', rw('string', 'External Source')],
  ['ORIGIN_ID', rw('string', 'Identifier in External Source')],
  ['MOVED_BY_ID', ro('user', 'Stage changed by')],
  ['MOVED_TIME', ro('datetime', 'Stage changed on')],
  ['ADDRESS', rw('string', 'Street address')],
  ['ADDRESS_2', rw('string', 'Address (line 2)')],
  ['ADDRESS_CITY', rw('string', 'City')],
  ['ADDRESS_POSTAL_CODE', rw('string', 'Zip')],
  ['ADDRESS_REGION', rw('string', 'Region')],
  ['ADDRESS_PROVINCE', rw('string', 'State / Province')],
  ['ADDRESS_COUNTRY', rw('string', 'Country')],
  ['ADDRESS_COUNTRY_CODE', rw('string', 'Country Code')],
  ['ADDRESS_LOC_ADDR_ID', rw('integer', 'Location address ID')],
  ['UTM_SOURCE', rw('string', 'Ad system')],
  ['UTM_MEDIUM', rw('string', 'Medium')],
  ['UTM_CAMPAIGN', rw('string', 'Ad campaign UTM')],
  ['UTM_CONTENT', rw('string', 'Campaign contents')],
  ['UTM_TERM', rw('string', 'Campaign search term')],
  ['LAST_ACTIVITY_TIME', ro('datetime', 'Last activity')],
  ['LAST_ACTIVITY_BY', ro('user', 'Last activity by')],
]);

/** CONTACT_IDS is write-only: accepted on add but never returned by get/list (per the docs). */
export const CONTACT_IDS_SPEC: LeadFieldSpec = { type: 'crm_contact', title: 'Contacts', multiple: true };

export const MULTIFIELD_VALUE_TYPES: ReadonlyMap<string, ReadonlySet<string> | null> = new Map([
  ['PHONE', new Set(['WORK', 'MOBILE', 'FAX', 'HOME', 'PAGER', 'MAILING', 'OTHER'])],
  ['EMAIL', new Set(['WORK', 'HOME', 'MAILING', 'OTHER'])],
  ['WEB', new Set(['WORK', 'HOME', 'VK', 'LIVEJOURNAL', 'TWITTER', 'OTHER'])],
  [
    'IM',
    new Set(['TELEGRAM', 'VK', 'SKYPE', 'VIBER', 'BITRIX24', 'OPENLINE', 'IMOL', 'ICQ', 'MSN', 'JABBER', 'OTHER']),
  ],
  // The reference lists no VALUE_TYPE set for LINK (open-line user links), so any non-empty type passes.
  ['LINK', null],
]);

export const MULTIFIELD_TITLES: Readonly<Record<string, string>> = {
  PHONE: 'Phone',
  EMAIL: 'E-mail',
  WEB: 'Website',
  IM: 'Messenger',
  LINK: 'Link',
};

export const NUMERIC_TYPES: ReadonlySet<LeadFieldType> = new Set([
  'integer',
  'double',
  'user',
  'crm_company',
  'crm_contact',
]);

export function isCustomField(name: string): boolean {
  return name.startsWith('UF_CRM_');
}

/** The `crm.lead.fields` result. */
export function describeLeadFields(customFieldNames: Iterable<string>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const describe = (spec: LeadFieldSpec, immutable = false) => ({
    type: spec.type,
    isRequired: false,
    isReadOnly: spec.readOnly === true,
    isImmutable: immutable,
    isMultiple: spec.multiple === true,
    isDynamic: false,
    title: spec.title,
    ...(spec.statusType ? { statusType: spec.statusType } : {}),
    ...(spec.settings ? { settings: spec.settings } : {}),
    ...(spec.deprecated ? { isDeprecated: true } : {}),
  });
  for (const [name, spec] of SCALAR_FIELDS) out[name] = describe(spec);
  out.CONTACT_IDS = describe(CONTACT_IDS_SPEC);
  for (const name of MULTIFIELD_VALUE_TYPES.keys()) out[name] = describe(multi(MULTIFIELD_TITLES[name] ?? name));
  for (const name of customFieldNames) {
    out[name] = {
      type: 'string',
      isRequired: false,
      isReadOnly: false,
      isImmutable: false,
      isMultiple: false,
      isDynamic: true,
      title: name,
      listLabel: name,
      formLabel: name,
      filterLabel: name,
    };
  }
  return out;
}
