/**
 * `crm.deal.fields` and `crm.contact.fields`: the stock fields of each kind as a fresh portal
 * describes them (the shape of crm.lead.fields), plus the custom UF_CRM_* fields in use.
 */
import type { EntityKind } from './crm-entities';
import { MULTIFIELD_TITLES } from './lead-fields';

type Spec = [type: string, title: string, extra?: Record<string, unknown>];
const RO = { isReadOnly: true };

const COMMON: Record<string, Spec> = {
  ID: ['integer', 'ID', RO],
  ASSIGNED_BY_ID: ['user', 'Responsible person'],
  CREATED_BY_ID: ['user', 'Created by', RO],
  DATE_CREATE: ['datetime', 'Created on', RO],
  DATE_MODIFY: ['datetime', 'Modified on', RO],
  OPENED: ['char', 'Available to everyone'],
  SOURCE_ID: ['crm_status', 'Source', { statusType: 'SOURCE' }],
  SOURCE_DESCRIPTION: ['string', 'Source information'],
  COMMENTS: ['string', 'Comment'],
  ORIGINATOR_ID: ['string', 'External source'],
  ORIGIN_ID: ['string', 'Item ID in data source'],
  UTM_SOURCE: ['string', 'Ad system'],
  UTM_MEDIUM: ['string', 'Medium'],
  UTM_CAMPAIGN: ['string', 'Ad campaign UTM'],
  UTM_CONTENT: ['string', 'Campaign contents'],
  UTM_TERM: ['string', 'Campaign search term'],
};

const OWN: Record<EntityKind, Record<string, Spec>> = {
  deal: {
    TITLE: ['string', 'Name'],
    TYPE_ID: ['crm_status', 'Type', { statusType: 'DEAL_TYPE' }],
    CATEGORY_ID: ['crm_category', 'Pipeline', { isImmutable: true }],
    STAGE_ID: ['crm_status', 'Deal stage', { statusType: 'DEAL_STAGE' }],
    STAGE_SEMANTIC_ID: ['string', 'Stage group', RO],
    PROBABILITY: ['integer', 'Probability'],
    CURRENCY_ID: ['crm_currency', 'Currency'],
    OPPORTUNITY: ['double', 'Amount'],
    IS_MANUAL_OPPORTUNITY: ['char', 'IS_MANUAL_OPPORTUNITY'],
    COMPANY_ID: ['crm_company', 'Company'],
    CONTACT_ID: ['crm_contact', 'Contact', { isDeprecated: true }],
    CONTACT_IDS: ['crm_contact', 'Contacts', { isMultiple: true }],
    BEGINDATE: ['date', 'Start date'],
    CLOSEDATE: ['date', 'End date'],
    LEAD_ID: ['crm_lead', 'Lead', RO],
    IS_RETURN_CUSTOMER: ['char', 'Repeat deal', RO],
  },
  contact: {
    HONORIFIC: ['crm_status', 'Salutation', { statusType: 'HONORIFIC' }],
    NAME: ['string', 'First name'],
    SECOND_NAME: ['string', 'Middle name'],
    LAST_NAME: ['string', 'Last name'],
    BIRTHDATE: ['date', 'Date of birth'],
    POST: ['string', 'Position'],
    COMPANY_ID: ['crm_company', 'Company', { isDeprecated: true }],
    COMPANY_IDS: ['crm_company', 'Companies', { isMultiple: true }],
    LEAD_ID: ['crm_lead', 'Lead', RO],
    PHONE: ['crm_multifield', MULTIFIELD_TITLES.PHONE ?? 'Phone', { isMultiple: true }],
    EMAIL: ['crm_multifield', MULTIFIELD_TITLES.EMAIL ?? 'E-mail', { isMultiple: true }],
    WEB: ['crm_multifield', MULTIFIELD_TITLES.WEB ?? 'Website', { isMultiple: true }],
    IM: ['crm_multifield', MULTIFIELD_TITLES.IM ?? 'Messenger', { isMultiple: true }],
  },
  company: {
    TITLE: ['string', 'Company name'],
    LEAD_ID: ['crm_lead', 'Lead', RO],
  },
};

export function describeEntityFields(kind: EntityKind, customFieldNames: Iterable<string>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, [type, title, extra]] of Object.entries({ ...COMMON, ...OWN[kind] })) {
    out[name] = { type, isRequired: false, isReadOnly: false, isImmutable: false, isMultiple: false, isDynamic: false, title, ...extra };
  }
  for (const name of customFieldNames) {
    out[name] = { type: 'string', isRequired: false, isReadOnly: false, isImmutable: false, isMultiple: false, isDynamic: true, title: name, listLabel: name, formLabel: name, filterLabel: name };
  }
  return out;
}
