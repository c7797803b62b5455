/**
 * Returning customers (`duplicates` on a form or source). `attach` links the new lead to the person
 * already in the CRM; `update` adds the submission to their open lead as a timeline comment instead
 * of creating a lead. On an `entity: deal` destination `update` looks for the person's contact and
 * comments on their open deal; with none, the new deal is linked to that contact. Exactly once: the choice is recorded first (a retry follows it, even if the CRM
 * changed meanwhile), the lead is marked unsure before the comment is sent, and an unsure lead looks
 * for its marker in the lead's comments before adding again.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { addLeadComment, findByComm, findComment, openDeals, openLeads, type CommentOwner, type CommQuery, type MatchEntity } from '../clients/bitrix24/crm-lookups';
import type { DuplicatesConfig } from '../config/duplicates-config';
import type { Lead, LeadFields } from '../lead/lead';
import type { PortalDispatcher } from './portal-dispatcher';

export type Resolution =
  | { kind: 'create'; fields: LeadFields }
  /** `bitrixLeadId` is the lead (or, with owner deal, the deal) commented on. */
  | { kind: 'commented'; bitrixLeadId: number; commentId: number; reconciled: boolean; owner: CommentOwner };

export interface ReturningCustomerDeps {
  send: PortalDispatcher['send'];
  client: Pick<Bitrix24Client, 'call'>;
  markUnsure(ids: string[]): Promise<void>;
  /** The first choice for a lead wins (HSETNX); returns the one stored. */
  decide(leadId: string, decision: string): Promise<string>;
}

const COMM_FIELDS = { email: 'EMAIL', phone: 'PHONE' } as const;

/** The lead's e-mails and phones, as written: Bitrix24 compares phones as text. */
export function commQueries(fields: LeadFields, policy: DuplicatesConfig, entities: MatchEntity[]): CommQuery[] {
  const queries: CommQuery[] = [];
  for (const match of policy.match) {
    const type = COMM_FIELDS[match];
    const rows = fields[type];
    const values = Array.isArray(rows) ? [...new Set(rows.map((r) => r.VALUE).filter((v) => v !== ''))] : [];
    if (values.length > 0) for (const entity of entities) queries.push({ type, values, entity });
  }
  return queries;
}

/** The text that makes a comment findable again: leadgate's id for the submission. */
export const commentMarker = (leadId: string): string => `[leadgate ${leadId}]`;

function commentText(lead: Lead, fields: LeadFields): string {
  const lines = ['Repeat submission ' + commentMarker(lead.id), `source: ${lead.source.kind}:${lead.source.name}`];
  for (const [code, value] of Object.entries(fields)) {
    if (code === 'ORIGINATOR_ID' || code === 'ORIGIN_ID') continue;
    lines.push(`${code}: ${Array.isArray(value) ? value.map((v) => v.VALUE).join(', ') : String(value)}`);
  }
  return lines.join('\n');
}

export async function resolveReturningCustomer(
  deps: ReturningCustomerDeps,
  request: { lead: Lead; fields: LeadFields; policy: DuplicatesConfig; reconcileFirst: boolean; entity?: 'lead' | 'deal' },
): Promise<Resolution> {
  const { lead, fields, policy } = request;
  if (policy.action === 'update' && request.entity === 'deal') return updateOpenDeal(deps, request);
  const entities: MatchEntity[] = policy.action === 'attach' ? ['CONTACT', 'COMPANY'] : ['LEAD'];
  const queries = commQueries(fields, policy, entities);
  if (policy.action === 'attach') {
    if (queries.length === 0) return { kind: 'create', fields };
    const found = await deps.send('crm.duplicate.findbycomm', (signal) => findByComm(deps.client, queries, signal));
    const [contactId] = found.CONTACT;
    const [companyId] = found.COMPANY;
    return { kind: 'create', fields: { ...fields, ...(contactId ? { CONTACT_ID: contactId } : {}), ...(companyId ? { COMPANY_ID: companyId } : {}) } };
  }
  let decision = 'create';
  if (queries.length > 0) {
    const found = await deps.send('crm.duplicate.findbycomm', (signal) => findByComm(deps.client, queries, signal));
    const open = found.LEAD.length > 0 ? await deps.send('crm.lead.list', (signal) => openLeads(deps.client, found.LEAD, signal)) : [];
    if (open[0] !== undefined) decision = `comment:${open[0]}`;
  }
  const chosen = await deps.decide(lead.id, decision);
  if (!chosen.startsWith('comment:')) return { kind: 'create', fields };
  return addComment(deps, request, 'lead', Number(chosen.slice('comment:'.length)));
}

/**
 * The comment, exactly once: an unsure lead (an earlier attempt may have sent it) first looks for
 * its marker among the target's comments; the lead is marked unsure before the comment is sent.
 */
async function addComment(
  deps: ReturningCustomerDeps,
  request: { lead: Lead; fields: LeadFields; reconcileFirst: boolean },
  owner: CommentOwner,
  target: number,
): Promise<Resolution> {
  const { lead, fields } = request;
  const marker = commentMarker(lead.id);
  if (request.reconcileFirst) {
    const existing = await deps.send('crm.timeline.comment.list', (signal) => findComment(deps.client, target, marker, signal, owner));
    if (existing !== undefined) return { kind: 'commented', bitrixLeadId: target, commentId: existing, reconciled: true, owner };
  }
  await deps.markUnsure([lead.id]);
  const commentId = await deps.send('crm.timeline.comment.add', (signal) => addLeadComment(deps.client, target, commentText(lead, fields), signal, owner));
  return { kind: 'commented', bitrixLeadId: target, commentId, reconciled: false, owner };
}

/** Deal destination, `update`: the person's open deal gets the comment; without one, the new deal is linked to them. */
async function updateOpenDeal(
  deps: ReturningCustomerDeps,
  request: { lead: Lead; fields: LeadFields; policy: DuplicatesConfig; reconcileFirst: boolean },
): Promise<Resolution> {
  const { lead, fields, policy } = request;
  const queries = commQueries(fields, policy, ['CONTACT']);
  let decision = 'create';
  if (queries.length > 0) {
    const found = await deps.send('crm.duplicate.findbycomm', (signal) => findByComm(deps.client, queries, signal));
    const open = found.CONTACT.length > 0 ? await deps.send('crm.deal.list', (signal) => openDeals(deps.client, found.CONTACT, signal)) : [];
    if (open[0] !== undefined) decision = `comment-deal:${open[0]}`;
    else if (found.CONTACT[0] !== undefined) decision = `contact:${found.CONTACT[0]}`;
  }
  const chosen = await deps.decide(lead.id, decision);
  if (chosen.startsWith('comment-deal:')) return addComment(deps, request, 'deal', Number(chosen.slice('comment-deal:'.length)));
  if (chosen.startsWith('contact:')) return { kind: 'create', fields: { ...fields, CONTACT_ID: Number(chosen.slice('contact:'.length)) } };
  return { kind: 'create', fields };
}
