/**
 * From a lead's Bitrix24 stages to the events each platform hears: pure, so the event path, the
 * sweep and the tests agree on every decision.
 */
import type { ConversionStageConfig, ConversionsConfig } from '../config/conversions-config';
import type { ConversionIdentity } from '../lead/conversion-identity';
import { conversionId, type Conversion, type CrmEntity } from '../queue/conversion-jobs';

/** One row of crm.stagehistory.list: the record entered this stage at this time. */
export interface StageEntry {
  entity: CrmEntity;
  crmId: number;
  stageId: string;
  at: string;
}

export interface MappingInput {
  leadId: string;
  destination: string;
  identity: ConversionIdentity;
  entries: StageEntry[];
  /** The record's OPPORTUNITY and CURRENCY_ID, for stages configured with `value: true`. */
  value?: { amount: number; currency: string };
  config: Pick<ConversionsConfig, 'leadStatuses' | 'dealStages' | 'meta' | 'google'>;
}

function stageConfig(config: MappingInput['config'], entry: StageEntry): ConversionStageConfig | undefined {
  const table = entry.entity === 'lead' ? config.leadStatuses : config.dealStages;
  return Object.hasOwn(table, entry.stageId) ? table[entry.stageId] : undefined;
}

/**
 * Every conversion the entries reach, one per (platform, event): when a funnel passes the same
 * event twice (moved back and forth, or a lead status and a deal stage naming one event), the first
 * time counts. Meta needs the lead's Meta lead id; Google needs a click id.
 */
export function conversionsFor(input: MappingInput): Conversion[] {
  const { identity, config } = input;
  const found = new Map<string, Conversion>();
  const ordered = [...input.entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const entry of ordered) {
    const stage = stageConfig(config, entry);
    if (!stage) continue;
    const base = { leadId: input.leadId, destination: input.destination, stage: { entity: entry.entity, crmId: entry.crmId, stageId: entry.stageId, at: new Date(entry.at).toISOString() } };
    const value = stage.value && input.value && input.value.amount > 0 ? { value: input.value } : {};
    if (stage.meta !== undefined && config.meta && identity.metaLeadId) {
      const key = `meta:${stage.meta}`;
      if (!found.has(key)) found.set(key, { ...base, id: conversionId(input.leadId, 'meta', stage.meta), platform: 'meta', eventName: stage.meta, metaLeadId: identity.metaLeadId, ...value });
    }
    if (stage.google !== undefined && config.google && identity.google) {
      const key = `google:${stage.google}`;
      if (!found.has(key)) found.set(key, { ...base, id: conversionId(input.leadId, 'google', stage.google), platform: 'google', eventName: stage.google, click: identity.google, ...value });
    }
  }
  return [...found.values()];
}

/** ATOM dates of Bitrix24 ("2026-12-07T10:00:00+03:00") to ISO UTC; undefined when unreadable. */
export function crmTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
