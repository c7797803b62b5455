/**
 * Reads one Bitrix24 record after an outgoing event (or a sweep row): is it one of leadgate's leads
 * (ORIGINATOR_ID/ORIGIN_ID, a deal through its LEAD_ID), which stages did it pass and when
 * (crm.stagehistory.list), and which conversions does that make. Each conversion is claimed once
 * in the store and queued under its own id; the CRM calls go through the portal's shared budget.
 */
import type { Bitrix24Client } from '../clients/bitrix24/bitrix24-client';
import { PermanentDeliveryError } from '../clients/delivery-errors';
import type { ConversionsConfig } from '../config/conversions-config';
import { isLeadId } from '../lead/lead-id';
import type { Conversion, CrmEntity, ReadCrmRecordJobV1 } from '../queue/conversion-jobs';
import type { ConversionQueues } from '../queue/conversion-queues';
import type { ConversionStore } from '../queue/conversion-store';
import type { LeadLedger } from '../queue/lead-ledger';
import type { ConversionMetrics } from '../shared/conversion-metrics';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';
import { conversionsFor, crmTime, type StageEntry } from './conversion-mapping';

export type ReadOutcome = 'matched' | 'not_ours' | 'no_identity' | 'not_found';

export interface ConversionReaderDeps {
  conversions: ConversionsConfig;
  originatorId: string;
  /** The destination's client, every call already waiting for the portal's shared budget. */
  crm(destination: string): Pick<Bitrix24Client, 'call'>;
  ledger: Pick<LeadLedger, 'conversionIdentity'>;
  store: Pick<ConversionStore, 'claim' | 'addExportRow'>;
  queues: Pick<ConversionQueues, 'enqueueSend'>;
  /** Caches which leadgate lead a Bitrix24 lead or deal is (it never changes). */
  redis: RedisClient;
  prefix: string;
  metrics: ConversionMetrics;
  logger: Logger;
}

type CrmRow = Record<string, unknown>;
const HISTORY_PAGE = 50;
const ENTITY_TYPE_ID: Record<CrmEntity, number> = { lead: 1, deal: 2 };
/** Marks a record that is not leadgate's, so it is not looked up again. */
const NOT_OURS = '-';

function money(row: CrmRow): { amount: number; currency: string } | undefined {
  const amount = Number(row.OPPORTUNITY);
  const currency = typeof row.CURRENCY_ID === 'string' ? row.CURRENCY_ID : '';
  return Number.isFinite(amount) && amount > 0 && /^[A-Z]{3}$/.test(currency) ? { amount, currency } : undefined;
}

/** undefined when Bitrix24 refuses the read as about this record (deleted, not found). */
async function getRecord(crm: Pick<Bitrix24Client, 'call'>, entity: CrmEntity, id: number): Promise<CrmRow | undefined> {
  try {
    return await crm.call<CrmRow>(`crm.${entity}.get`, { id });
  } catch (err) {
    if (err instanceof PermanentDeliveryError) return undefined;
    throw err;
  }
}

/** Every stage the record entered, with the time it did (its whole history: a few rows). */
async function stageHistory(crm: Pick<Bitrix24Client, 'call'>, entity: CrmEntity, id: number): Promise<StageEntry[]> {
  const entries: StageEntry[] = [];
  for (let start = 0; ; start += HISTORY_PAGE) {
    const page = await crm.call<{ items?: CrmRow[] }>('crm.stagehistory.list', {
      entityTypeId: ENTITY_TYPE_ID[entity],
      filter: { OWNER_ID: id },
      order: { ID: 'ASC' },
      select: ['ID', 'OWNER_ID', 'CREATED_TIME', entity === 'lead' ? 'STATUS_ID' : 'STAGE_ID'],
      start,
    });
    const items = Array.isArray(page?.items) ? page.items : [];
    for (const item of items) {
      const stageId = entity === 'lead' ? item.STATUS_ID : item.STAGE_ID;
      const at = crmTime(item.CREATED_TIME);
      if (typeof stageId === 'string' && at) entries.push({ entity, crmId: id, stageId, at });
    }
    if (items.length < HISTORY_PAGE) return entries;
  }
}

export function createConversionReader(deps: ConversionReaderDeps) {
  const cacheKey = (destination: string, entity: CrmEntity, id: number) => `${deps.prefix}:conversions:crm:${destination}:${entity}:${id}`;
  const ttl = deps.conversions.retentionDays * 86_400;

  /** The leadgate lead id of a Bitrix24 lead, from its ORIGINATOR_ID/ORIGIN_ID (cached). */
  async function leadgateIdOf(destination: string, crm: Pick<Bitrix24Client, 'call'>, b24LeadId: number, known?: CrmRow): Promise<{ leadId?: string; row?: CrmRow; missing?: boolean }> {
    const cached = known ? null : await deps.redis.get(cacheKey(destination, 'lead', b24LeadId));
    if (cached) return cached === NOT_OURS ? {} : { leadId: cached };
    const row = known ?? (await getRecord(crm, 'lead', b24LeadId));
    if (!row) return { missing: true };
    const origin = typeof row.ORIGIN_ID === 'string' ? row.ORIGIN_ID : '';
    const ours = row.ORIGINATOR_ID === deps.originatorId && isLeadId(origin);
    await deps.redis.set(cacheKey(destination, 'lead', b24LeadId), ours ? origin : NOT_OURS, 'EX', ttl);
    return ours ? { leadId: origin, row } : { row };
  }

  return async function readCrmRecord(job: ReadCrmRecordJobV1): Promise<{ outcome: ReadOutcome; conversions: number }> {
    const { destination, entity, id } = job;
    const crm = deps.crm(destination);
    const done = (outcome: ReadOutcome, conversions = 0) => {
      deps.metrics.reads.inc({ destination, outcome });
      return { outcome, conversions };
    };

    let record: CrmRow | undefined;
    let leadId: string | undefined;
    if (entity === 'deal') {
      record = await getRecord(crm, 'deal', id);
      if (!record) return done('not_found');
      const b24LeadId = Number(record.LEAD_ID);
      // A deal made by hand or from a contact has no lead behind it: not a leadgate funnel.
      if (!Number.isSafeInteger(b24LeadId) || b24LeadId <= 0) return done('not_ours');
      const found = await leadgateIdOf(destination, crm, b24LeadId);
      if (found.missing) return done('not_found');
      leadId = found.leadId;
    } else {
      record = await getRecord(crm, 'lead', id);
      if (!record) return done('not_found');
      leadId = (await leadgateIdOf(destination, crm, id, record)).leadId;
    }
    if (!leadId) return done('not_ours');

    const known = await deps.ledger.conversionIdentity(leadId);
    if (!known?.identity) return done('no_identity');
    const entries = await stageHistory(crm, entity, id);
    const conversions = conversionsFor({ leadId, destination, identity: known.identity, entries, value: money(record), config: deps.conversions });
    let fresh = 0;
    for (const conversion of conversions) if (await claimAndQueue(conversion)) fresh++;
    deps.logger.debug({ destination, entity, crmId: id, leadId, found: conversions.length, fresh }, 'conversion read');
    return done('matched', fresh);
  };

  /** True when this read found the conversion first. A claim left `queued` by a crash is queued again (same job id). */
  async function claimAndQueue(conversion: Conversion): Promise<boolean> {
    const apiless = conversion.platform === 'google' && !deps.conversions.google?.serviceAccount;
    const { claimed, record } = await deps.store.claim(conversion, apiless ? 'recorded' : 'queued');
    if (claimed) {
      deps.metrics.queued.inc({ platform: conversion.platform, event: conversion.eventName });
      if (conversion.platform === 'google' && conversion.click) {
        await deps.store.addExportRow({
          conversionId: conversion.id,
          clickKey: conversion.click.key,
          clickId: conversion.click.value,
          conversionName: conversion.eventName,
          at: conversion.stage.at,
          clickAt: conversion.click.clickAt,
          ...(conversion.value ? { value: conversion.value.amount, currency: conversion.value.currency } : {}),
        });
      }
    }
    if (!apiless && record.status === 'queued') await deps.queues.enqueueSend({ ...conversion, stage: record.stage });
    return claimed;
  }
}
