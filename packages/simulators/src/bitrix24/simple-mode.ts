/**
 * Simple CRM mode: a portal without leads. Bitrix24 still accepts crm.lead.add there, and a lead
 * created with the first name filled in is converted at once: a contact (or the one CONTACT_ID names),
 * the company COMPANY_ID names (or one made from COMPANY_TITLE), and a deal with LEAD_ID pointing
 * back; the lead ends as CONVERTED (how-to-add-lead.md, reference bitrix24-rest.md §2.1).
 */
import type { CrmEntities, CrmRecord } from './crm-entities';
import type { StoredLead } from './lead-store';

const pick = (record: CrmRecord, names: string[]): CrmRecord =>
  Object.fromEntries(names.filter((n) => record[n] !== null && record[n] !== undefined && record[n] !== '').map((n) => [n, record[n]]));

const UTM = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM'];

export function convertLead(lead: StoredLead, crm: CrmEntities, userId: number, nowMs: number): void {
  const record = lead.record;
  if (typeof record.NAME !== 'string' || record.NAME.trim() === '') return;
  const leadId = String(lead.id);
  let contactId = typeof record.CONTACT_ID === 'string' ? record.CONTACT_ID : null;
  let companyId = typeof record.COMPANY_ID === 'string' ? record.COMPANY_ID : null;
  if (companyId === null && typeof record.COMPANY_TITLE === 'string' && record.COMPANY_TITLE !== '') {
    companyId = String(crm.add('company', { TITLE: record.COMPANY_TITLE, LEAD_ID: leadId, ...pick(record, ['ASSIGNED_BY_ID', 'SOURCE_ID']) }, userId, nowMs));
  }
  if (contactId === null) {
    const fields = pick(record, ['NAME', 'LAST_NAME', 'SECOND_NAME', 'POST', 'EMAIL', 'PHONE', 'ASSIGNED_BY_ID', 'SOURCE_ID', ...UTM]);
    contactId = String(crm.add('contact', { ...fields, LEAD_ID: leadId, ...(companyId ? { COMPANY_ID: companyId } : {}) }, userId, nowMs));
  }
  crm.add(
    'deal',
    {
      ...pick(record, ['TITLE', 'OPPORTUNITY', 'CURRENCY_ID', 'ASSIGNED_BY_ID', 'SOURCE_ID', 'SOURCE_DESCRIPTION', 'COMMENTS', ...UTM]),
      STAGE_ID: 'NEW',
      CATEGORY_ID: '0',
      LEAD_ID: leadId,
      CONTACT_ID: contactId,
      ...(companyId ? { COMPANY_ID: companyId } : {}),
      IS_RETURN_CUSTOMER: record.IS_RETURN_CUSTOMER === 'Y' ? 'Y' : 'N',
    },
    userId,
    nowMs,
  );
  record.STATUS_ID = 'CONVERTED';
  record.STATUS_SEMANTIC_ID = 'S';
  record.CONTACT_ID = contactId;
  record.COMPANY_ID = companyId;
}
