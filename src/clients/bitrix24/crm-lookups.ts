/**
 * The CRM reads and writes beside crm.lead.add: the portal's CRM mode, what a converted lead became,
 * people already in the CRM (crm.duplicate.findbycomm) and timeline comments. Each function is one
 * HTTP request; the caller draws it from the portal's budget.
 */
import type { Bitrix24Client } from './bitrix24-client';
import { toPhpQuery } from './php-query';

type Caller = Pick<Bitrix24Client, 'call'>;

export type CrmMode = 'classic' | 'simple';

/** crm.settings.mode.get: 1 = classic (with leads), 2 = simple (no leads). */
export async function readCrmMode(client: Caller, signal?: AbortSignal): Promise<CrmMode> {
  const mode = Number(await client.call<number | string>('crm.settings.mode.get', {}, signal));
  return mode === 2 ? 'simple' : 'classic';
}

/** What Bitrix24 turned a lead into (simple mode converts at once). */
export interface Conversion {
  dealId: number;
  contactId?: number;
  companyId?: number;
}

const positive = (v: unknown): number | undefined => (Number(v) > 0 ? Number(v) : undefined);

/** The deal each of these leads (at most 50) was converted into, by LEAD_ID: one crm.deal.list. */
export async function findConversions(client: Caller, leadIds: number[], signal?: AbortSignal): Promise<Map<number, Conversion>> {
  const found = new Map<number, Conversion>();
  if (leadIds.length === 0) return found;
  if (leadIds.length > 50) throw new RangeError('at most 50 lead ids per lookup');
  const rows = await client.call<Array<Record<string, unknown>>>('crm.deal.list', {
    filter: { '@LEAD_ID': leadIds },
    select: ['ID', 'LEAD_ID', 'CONTACT_ID', 'COMPANY_ID'],
    order: { ID: 'ASC' },
    start: -1,
  }, signal);
  for (const row of rows ?? []) {
    const leadId = Number(row.LEAD_ID);
    const dealId = positive(row.ID);
    if (found.has(leadId) || dealId === undefined) continue;
    const contactId = positive(row.CONTACT_ID);
    const companyId = positive(row.COMPANY_ID);
    found.set(leadId, { dealId, ...(contactId ? { contactId } : {}), ...(companyId ? { companyId } : {}) });
  }
  return found;
}

export type CommType = 'EMAIL' | 'PHONE';
export type MatchEntity = 'LEAD' | 'CONTACT' | 'COMPANY';
/** Documented limits of crm.duplicate.findbycomm and batch. */
export const FINDBYCOMM_MAX_VALUES = 20;
const MAX_BATCH_COMMANDS = 50;

export interface CommQuery {
  type: CommType;
  values: string[];
  entity: MatchEntity;
}

/**
 * The commands for these queries: one per (type, entity) and 20 values, so a type with more values
 * is split. Asked per entity type because a type with 20 matches crowds the others out of one answer.
 */
export function commCommands(queries: CommQuery[]): Array<{ entity: MatchEntity; params: Record<string, unknown> }> {
  const commands: Array<{ entity: MatchEntity; params: Record<string, unknown> }> = [];
  for (const q of queries) {
    for (let i = 0; i < q.values.length; i += FINDBYCOMM_MAX_VALUES) {
      commands.push({ entity: q.entity, params: { type: q.type, values: q.values.slice(i, i + FINDBYCOMM_MAX_VALUES), entity_type: q.entity } });
    }
  }
  return commands;
}

/**
 * Ids per entity type of everything matching (oldest first): one plain call for a single command,
 * otherwise one `batch` (up to 50 commands) — a single request either way for any ordinary lead.
 */
export async function findByComm(client: Caller, queries: CommQuery[], signal?: AbortSignal): Promise<Record<MatchEntity, number[]>> {
  const found: Record<MatchEntity, Set<number>> = { LEAD: new Set(), CONTACT: new Set(), COMPANY: new Set() };
  const take = (entity: MatchEntity, answer: unknown) => {
    const ids = answer && !Array.isArray(answer) ? (answer as Record<string, unknown>)[entity] : undefined;
    if (Array.isArray(ids)) for (const id of ids) if (Number(id) > 0) found[entity].add(Number(id));
  };
  const commands = commCommands(queries).slice(0, MAX_BATCH_COMMANDS);
  if (commands.length === 1) take(commands[0]!.entity, await client.call('crm.duplicate.findbycomm', commands[0]!.params, signal));
  else if (commands.length > 1) {
    const cmd = Object.fromEntries(commands.map((c, i) => [`f${i}`, `crm.duplicate.findbycomm?${toPhpQuery(c.params)}`]));
    const answer = await client.call<{ result?: Record<string, unknown> | unknown[] }>('batch', { halt: 0, cmd }, signal);
    const results = answer.result && !Array.isArray(answer.result) ? answer.result : {};
    commands.forEach((c, i) => take(c.entity, results[`f${i}`]));
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { LEAD: sorted(found.LEAD), CONTACT: sorted(found.CONTACT), COMPANY: sorted(found.COMPANY) };
}

/** Of these leads (at most 50), the ones still being worked on (stage semantics "in process"), oldest first. */
export async function openLeads(client: Caller, ids: number[], signal?: AbortSignal): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await client.call<Array<{ ID: string }>>('crm.lead.list', {
    filter: { '@ID': ids.slice(0, 50), STATUS_SEMANTIC_ID: 'P' },
    select: ['ID'],
    order: { ID: 'ASC' },
    start: -1,
  }, signal);
  return (rows ?? []).map((r) => Number(r.ID));
}

/** Of the deals of these contacts (at most 50), the ones still being worked on, oldest first. */
export async function openDeals(client: Caller, contactIds: number[], signal?: AbortSignal): Promise<number[]> {
  if (contactIds.length === 0) return [];
  const rows = await client.call<Array<{ ID: string }>>('crm.deal.list', {
    filter: { '@CONTACT_ID': contactIds.slice(0, 50), STAGE_SEMANTIC_ID: 'P' },
    select: ['ID'],
    order: { ID: 'ASC' },
    start: -1,
  }, signal);
  return (rows ?? []).map((r) => Number(r.ID));
}

/** What a timeline comment is attached to. */
export type CommentOwner = 'lead' | 'deal';

/** Ids of the lead's (or deal's) timeline comments whose text contains `marker` (the comment's exactly-once key). */
export async function findComment(client: Caller, leadId: number, marker: string, signal?: AbortSignal, owner: CommentOwner = 'lead'): Promise<number | undefined> {
  const rows = await client.call<Array<{ ID: string; COMMENT?: string }>>('crm.timeline.comment.list', {
    filter: { ENTITY_ID: leadId, ENTITY_TYPE: owner },
    select: ['ID', 'COMMENT'],
  }, signal);
  const hit = (rows ?? []).find((r) => typeof r.COMMENT === 'string' && r.COMMENT.includes(marker));
  return hit ? Number(hit.ID) : undefined;
}

export async function addLeadComment(client: Caller, leadId: number, comment: string, signal?: AbortSignal, owner: CommentOwner = 'lead'): Promise<number> {
  return Number(await client.call<number | string>('crm.timeline.comment.add', { fields: { ENTITY_ID: leadId, ENTITY_TYPE: owner, COMMENT: comment } }, signal));
}
