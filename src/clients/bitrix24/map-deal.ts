/**
 * A lead's crm.lead.add fields split into what a deal destination writes instead: the person
 * (crm.contact.add) and the deal (crm.deal.add). Pure: the same lead always maps the same way.
 * Fields neither entity has (COMPANY_TITLE, a lead STATUS_ID…) are written into the deal's COMMENTS
 * with their code, so nothing the visitor sent is dropped silently.
 */
import type { BitrixFieldValue, LeadFields } from '../../lead/lead';

/** crm.deal.add's fields: a lead's, plus CONTACT_IDS (ids, or a `$result[…]` reference inside a batch). */
export type DealFields = Record<string, BitrixFieldValue | Array<number | string>>;

/** Pipeline (CATEGORY_ID) and first stage (STAGE_ID) of the deals; unset = the portal's general pipeline, its first stage. */
export interface DealPlacement {
  categoryId?: number;
  stageId?: string;
}

export interface DealAndContact {
  /** Absent when the lead names its contact already (a returning customer, `duplicates: attach`). */
  contact?: LeadFields;
  deal: DealFields;
  /** The existing contact the deal is linked to. */
  contactId?: number;
}

const ADDRESS = ['ADDRESS', 'ADDRESS_2', 'ADDRESS_CITY', 'ADDRESS_POSTAL_CODE', 'ADDRESS_REGION', 'ADDRESS_PROVINCE', 'ADDRESS_COUNTRY', 'ADDRESS_COUNTRY_CODE'];
const UTM = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM'];
/** Who the person is: crm.contact.add's fields. */
export const CONTACT_FIELDS: ReadonlySet<string> = new Set(['HONORIFIC', 'NAME', 'SECOND_NAME', 'LAST_NAME', 'BIRTHDATE', 'POST', 'PHONE', 'EMAIL', 'WEB', 'IM', ...ADDRESS]);
/** What the person asked for: crm.deal.add's fields (UF_CRM_* are the deal's own custom fields). */
export const DEAL_FIELDS: ReadonlySet<string> = new Set(['TITLE', 'COMMENTS', 'OPPORTUNITY', 'CURRENCY_ID', 'IS_MANUAL_OPPORTUNITY', 'TYPE_ID', 'BEGINDATE', 'CLOSEDATE', 'PROBABILITY']);
/** Written to both: who handles it, where it came from, and leadgate's key for finding it again. */
export const SHARED_FIELDS: ReadonlySet<string> = new Set(['ASSIGNED_BY_ID', 'SOURCE_ID', 'SOURCE_DESCRIPTION', 'OPENED', 'ORIGINATOR_ID', 'ORIGIN_ID', ...UTM]);
/** Lead links that become the deal's links. */
const LINKS = new Set(['CONTACT_ID', 'COMPANY_ID']);

/** Where map-deal puts a lead field code: the contact, the deal, both, or the deal's comments. */
export function dealTargetOf(code: string): 'contact' | 'deal' | 'both' | 'comments' {
  if (SHARED_FIELDS.has(code)) return 'both';
  if (CONTACT_FIELDS.has(code)) return 'contact';
  if (DEAL_FIELDS.has(code) || LINKS.has(code) || code.startsWith('UF_CRM_')) return 'deal';
  return 'comments';
}

const text = (value: DealFields[string]): string => (Array.isArray(value) ? value.map((v) => (typeof v === 'object' ? v.VALUE : String(v))).join(', ') : String(value));

export function toDealAndContact(fields: LeadFields, placement: DealPlacement = {}): DealAndContact {
  const contact: LeadFields = {};
  const deal: DealFields = {};
  const leftOver: string[] = [];
  for (const [code, value] of Object.entries(fields)) {
    switch (dealTargetOf(code)) {
      case 'both':
        contact[code] = value;
        deal[code] = value;
        break;
      case 'contact':
        contact[code] = value;
        break;
      case 'deal':
        if (!LINKS.has(code)) deal[code] = value;
        break;
      case 'comments':
        if (text(value) !== '') leftOver.push(`${code}: ${text(value)}`);
    }
  }
  if (leftOver.length > 0) deal.COMMENTS = [typeof deal.COMMENTS === 'string' ? deal.COMMENTS : '', leftOver.join('\n')].filter(Boolean).join('\n\n');
  if (placement.categoryId !== undefined) deal.CATEGORY_ID = placement.categoryId;
  if (placement.stageId !== undefined) deal.STAGE_ID = placement.stageId;
  const companyId = Number(fields.COMPANY_ID);
  if (companyId > 0) deal.COMPANY_ID = companyId;
  // CONTACT_ID is obsolete on deals (spam-ha-backfill.md §4): the link is CONTACT_IDS.
  const contactId = Number(fields.CONTACT_ID);
  if (contactId > 0) return { deal: { ...deal, CONTACT_IDS: [contactId] }, contactId };
  return { contact, deal };
}
