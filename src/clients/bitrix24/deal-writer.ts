import type { LeadFields } from '../../lead/lead';
import type { Bitrix24Client } from './bitrix24-client';
import { MAX_BATCH_COMMANDS } from './bitrix24-client';
import { RetryableDeliveryError, type DeliveryError } from '../delivery-errors';
import { classifyBitrix24Error, type Bitrix24ErrorBody } from './classify-error';
import type { CreatedEntity, CrmWriter, EntityToWrite, OriginMatch, WriteResult } from './crm-writer';
import { toDealAndContact, type DealPlacement } from './map-deal';
import { toPhpQuery } from './php-query';

interface BatchAnswer {
  result?: Record<string, unknown> | unknown[];
  result_error?: Record<string, Bitrix24ErrorBody> | unknown[];
}

const asMap = <T>(section: Record<string, T> | unknown[] | undefined): Record<string, T> => (section && !Array.isArray(section) ? section : {});
const positive = (v: unknown): number | undefined => (Number(v) > 0 ? Number(v) : undefined);
const PAGE = 50;

/**
 * The deal was refused after its contact was made: a retry must look first, so it finds the contact
 * by ORIGIN_ID and reuses it instead of making the person twice.
 */
function halfDone(error: DeliveryError, madeContact: number | undefined): DeliveryError {
  if (madeContact === undefined || !(error instanceof RetryableDeliveryError) || error.ambiguous) return error;
  return new RetryableDeliveryError(`${error.message} (after contact ${madeContact} was created)`, { code: error.code, ...(error.status ? { status: error.status } : {}), ambiguous: true });
}

/**
 * `entity: deal`: each lead becomes a deal linked to a contact, both made in ONE `batch` with halt=1:
 * `c<i>` = crm.contact.add, `d<i>` = crm.deal.add with CONTACT_IDS[0] = $result[c<i>]. A returning
 * customer (CONTACT_ID already on the lead) gets only the deal. halt=1 because with halt=0 a refused
 * contact would leave the reference unresolved and the deal would be made without its person
 * (spam-ha-backfill.md §4); the commands after a refusal do not run, so their leads are sent again.
 * Contact and deal both carry ORIGINATOR_ID + ORIGIN_ID: after an ambiguous attempt the deal is
 * found, and a contact whose deal never came is reused instead of made twice.
 */
export class DealWriter implements CrmWriter {
  readonly entity = 'deal' as const;
  /** Two commands per lead (contact, deal). */
  readonly leadsPerRequest = MAX_BATCH_COMMANDS / 2;
  readonly listMethod = 'crm.deal.list';
  readonly deleteMethod = 'crm.deal.delete';

  constructor(
    private readonly client: Pick<Bitrix24Client, 'call'>,
    private readonly placement: DealPlacement = {},
  ) {}

  addMethod(): string {
    return 'batch';
  }

  async add(items: EntityToWrite[], signal?: AbortSignal): Promise<Map<string, WriteResult>> {
    if (items.length > this.leadsPerRequest) throw new RangeError(`at most ${this.leadsPerRequest} deals per batch`);
    const cmd: Record<string, string> = {};
    const known = new Map<number, number>();
    items.forEach((item, i) => {
      const { contact, deal, contactId } = toDealAndContact(item.fields, this.placement);
      if (contact) {
        // REGISTER_SONET_EVENT differs by default (contact N, deal Y): stated, so both notify alike.
        cmd[`c${i}`] = `crm.contact.add?${toPhpQuery({ fields: contact, params: { REGISTER_SONET_EVENT: 'N' } })}`;
        cmd[`d${i}`] = `crm.deal.add?${toPhpQuery({ fields: { ...deal, CONTACT_IDS: [`$result[c${i}]`] }, params: { REGISTER_SONET_EVENT: 'Y' } })}`;
      } else {
        if (contactId !== undefined) known.set(i, contactId);
        cmd[`d${i}`] = `crm.deal.add?${toPhpQuery({ fields: deal, params: { REGISTER_SONET_EVENT: 'Y' } })}`;
      }
    });
    const answer = await this.client.call<BatchAnswer>('batch', { halt: 1, cmd }, signal);
    const ok = asMap(answer.result);
    const failed = asMap(answer.result_error);
    const results = new Map<string, WriteResult>();
    const firstRefused = items.findIndex((_item, i) => failed[`c${i}`] !== undefined || failed[`d${i}`] !== undefined);
    items.forEach((item, i) => {
      const error = failed[`c${i}`] ?? failed[`d${i}`];
      const dealId = positive(ok[`d${i}`]);
      const madeContact = positive(ok[`c${i}`]);
      if (error) results.set(item.key, { error: halfDone(classifyBitrix24Error(400, error), madeContact) });
      else if (dealId !== undefined) {
        const contactId = known.get(i) ?? madeContact;
        results.set(item.key, { created: { id: dealId, ...(contactId ? { contactId } : {}), ...(madeContact ? { ownContact: true } : {}) } });
      } else if (firstRefused !== -1 && i > firstRefused && madeContact === undefined) {
        // halt=1 stopped the batch at an earlier lead's refusal: nothing of this lead ran.
        results.set(item.key, { notRun: true });
      } else {
        results.set(item.key, {
          error: classifyBitrix24Error(500, { error: 'ERROR_UNEXPECTED_ANSWER', error_description: 'batch answer has no result for this deal' }),
        });
      }
    });
    return results;
  }

  /**
   * Deals by ORIGIN_ID (oldest first, with their contact) and the contacts leadgate made for the
   * same ids, in one `batch` per page of deals: a contact without a deal is an attempt that stopped
   * half-way, and is reused.
   */
  async findByOrigin(originatorId: string, originIds: string[], signal?: AbortSignal): Promise<Map<string, OriginMatch>> {
    const found = new Map<string, OriginMatch>();
    if (originIds.length === 0) return found;
    if (originIds.length > PAGE) throw new RangeError('at most 50 origin ids per lookup');
    const ownContacts = new Map<string, number[]>();
    for (let afterId = 0, first = true; ; first = false) {
      const byOrigin = { ORIGINATOR_ID: originatorId, '@ORIGIN_ID': originIds };
      const cmd: Record<string, string> = {
        d: `crm.deal.list?${toPhpQuery({ filter: { ...byOrigin, '>ID': afterId }, select: ['ID', 'ORIGIN_ID', 'CONTACT_ID'], order: { ID: 'ASC' }, start: -1 })}`,
      };
      if (first) cmd.c = `crm.contact.list?${toPhpQuery({ filter: byOrigin, select: ['ID', 'ORIGIN_ID'], order: { ID: 'ASC' }, start: -1 })}`;
      const answer = await this.client.call<BatchAnswer>('batch', { halt: 0, cmd }, signal);
      const failed = asMap(answer.result_error);
      const refusal = failed.d ?? failed.c;
      if (refusal) throw classifyBitrix24Error(400, refusal);
      const ok = asMap<unknown>(answer.result);
      for (const row of (Array.isArray(ok.c) ? ok.c : []) as Array<Record<string, unknown>>) {
        const id = positive(row.ID);
        if (id !== undefined) ownContacts.set(String(row.ORIGIN_ID), [...(ownContacts.get(String(row.ORIGIN_ID)) ?? []), id]);
      }
      const rows = (Array.isArray(ok.d) ? ok.d : []) as Array<Record<string, unknown>>;
      for (const row of rows) {
        const id = positive(row.ID);
        if (id === undefined) continue;
        const origin = String(row.ORIGIN_ID);
        const contactId = positive(row.CONTACT_ID);
        const own = contactId !== undefined && (ownContacts.get(origin) ?? []).includes(contactId);
        const entity: CreatedEntity = { id, ...(contactId ? { contactId } : {}), ...(own ? { ownContact: true } : {}) };
        const match = found.get(origin) ?? { created: [] };
        match.created.push(entity);
        found.set(origin, match);
        afterId = Math.max(afterId, id);
      }
      if (rows.length < PAGE) break;
    }
    for (const [origin, contacts] of ownContacts) {
      if (found.has(origin)) continue;
      const reuse: LeadFields = { CONTACT_ID: contacts[0]! };
      found.set(origin, { created: [], reuse });
    }
    return found;
  }

  /** The later deal, and its contact when it was made for that copy alone: one request (a batch when both). */
  async removeCopy(copy: CreatedEntity, kept: CreatedEntity, signal?: AbortSignal): Promise<void> {
    if (!copy.ownContact || copy.contactId === undefined || copy.contactId === kept.contactId) {
      await this.client.call('crm.deal.delete', { id: copy.id }, signal);
      return;
    }
    const answer = await this.client.call<BatchAnswer>('batch', { halt: 1, cmd: { d: `crm.deal.delete?id=${copy.id}`, c: `crm.contact.delete?id=${copy.contactId}` } }, signal);
    const failed = asMap(answer.result_error);
    const refusal = failed.d ?? failed.c;
    if (refusal) throw classifyBitrix24Error(400, refusal);
  }
}
