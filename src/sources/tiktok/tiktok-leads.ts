import type { TikTokSourceConfig } from '../../config/sources-config';
import type { FieldError, Mapped } from '../../lead/field-errors';
import type { ExtraField, Lead } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';
import { humanLabel, META_STANDARD_FIELDS } from '../meta/meta-fields';
import { idString, parseJsonExact } from '../shared/exact-json';
import { leadTitle } from '../shared/lead-title';
import { LenientFields } from '../shared/lenient-fields';
import { applyUtmRule, type UtmDefaults } from '../shared/utm-rule';
import { valueText } from '../webhooks/webhook-value';

/** TikTok batches up to 1,000 leads per delivery. */
export const MAX_TIKTOK_ENTRIES = 1000;

/** One lead of a delivery: ids as exact digit strings, answers inline. */
export interface TikTokLead {
  leadId: string;
  advertiserId?: string;
  pageId?: string;
  campaignId?: string;
  adgroupId?: string;
  adId?: string;
  createTime?: string;
  leadSource?: string;
  answers: Array<{ field: string; value: string }>;
}

export class TikTokBodyError extends Error {
  constructor(readonly problems: FieldError[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'TikTokBodyError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (r: Record<string, unknown>, k: string): unknown => (Object.hasOwn(r, k) ? r[k] : undefined);

/**
 * A (signature-verified) delivery: `{"entry": [{"id", "advertiser_id", "page_id", "campaign_id",
 * "adgroup_id", "ad_id", "create_time", "lead_source", "changes": [{"field", "value"}]}], "time"}`,
 * the lead-callback shape recorded in the fixtures (test/fixtures/tiktok). Every id is read
 * losslessly: 19-digit ids arrive as JSON numbers. All problems of all entries, or the leads.
 */
export function parseTikTokDelivery(rawBody: Buffer): TikTokLead[] {
  let body: unknown;
  try {
    body = parseJsonExact(rawBody.toString('utf8'));
  } catch {
    throw new TikTokBodyError([{ field: '/', message: 'is not valid JSON' }]);
  }
  if (!isRecord(body)) throw new TikTokBodyError([{ field: '/', message: 'must be a JSON object' }]);
  const entries = own(body, 'entry');
  if (!Array.isArray(entries) || entries.length === 0) throw new TikTokBodyError([{ field: '/entry', message: 'must be a non-empty array of leads' }]);
  if (entries.length > MAX_TIKTOK_ENTRIES) throw new TikTokBodyError([{ field: '/entry', message: `must have at most ${MAX_TIKTOK_ENTRIES} leads` }]);
  const problems: FieldError[] = [];
  const leads: TikTokLead[] = [];
  entries.forEach((entry, i) => {
    if (!isRecord(entry)) return void problems.push({ field: `/entry/${i}`, message: 'must be an object' });
    const leadId = idString(own(entry, 'id') ?? own(entry, 'lead_id'));
    if (!leadId) return void problems.push({ field: `/entry/${i}/id`, message: 'must be the lead id (digits)' });
    const changes = own(entry, 'changes') ?? [];
    if (!Array.isArray(changes)) return void problems.push({ field: `/entry/${i}/changes`, message: 'must be an array' });
    const answers: TikTokLead['answers'] = [];
    changes.forEach((change, j) => {
      const field = isRecord(change) ? own(change, 'field') : undefined;
      if (typeof field !== 'string' || field.trim() === '' || field.length > 500) return void problems.push({ field: `/entry/${i}/changes/${j}/field`, message: 'must be the question' });
      const value = valueText(own(change as Record<string, unknown>, 'value'));
      if (value !== undefined) answers.push({ field: field.trim(), value });
    });
    const lead: TikTokLead = { leadId, answers };
    const ids: Array<[keyof TikTokLead, string]> = [['advertiserId', 'advertiser_id'], ['pageId', 'page_id'], ['campaignId', 'campaign_id'], ['adgroupId', 'adgroup_id'], ['adId', 'ad_id']];
    for (const [key, name] of ids) {
      const id = idString(own(entry, name));
      if (id) (lead as unknown as Record<string, string>)[key] = id;
    }
    const created = valueText(own(entry, 'create_time'));
    if (created) lead.createTime = created.slice(0, 40);
    const source = valueText(own(entry, 'lead_source'));
    if (source) lead.leadSource = source.slice(0, 40);
    leads.push(lead);
  });
  if (problems.length > 0) throw new TikTokBodyError(problems.slice(0, 50));
  return leads;
}

export const TIKTOK_UTM_DEFAULTS: UtmDefaults = Object.freeze({ source: 'tiktok', medium: 'paid_social', campaign: '{campaign_id}', content: '{ad_id}', term: '{adgroup_id}' });

const TIKTOK_EXTRA_FIELDS: Readonly<Record<string, string>> = Object.freeze({ name: 'FULL_NAME', phone: 'PHONE', company: 'COMPANY_TITLE', gender: '', zipcode: 'ADDRESS_POSTAL_CODE' });

function codeFor(config: TikTokSourceConfig, field: string): string | undefined {
  const key = field.toLowerCase().replace(/[\s-]+/g, '_');
  return ownValue(config.fieldMap, field) ?? ownValue(config.fieldMap, key) ?? ownValue(META_STANDARD_FIELDS, key) ?? (ownValue(TIKTOK_EXTRA_FIELDS, key) || undefined);
}

/** A TikTok lead becomes a Lead: standard questions to Bitrix24 fields, the rest configured or extra lines. Pure. */
export function tikTokLeadToLead(lead: TikTokLead, config: TikTokSourceConfig, identity: { id: string; receivedAt: string }): Mapped<Lead> {
  const builder = new LenientFields(config.phoneCountry);
  const extras: ExtraField[] = [];
  for (const { field, value } of lead.answers) {
    const code = codeFor(config, field);
    if (code) builder.set(code, value, humanLabel(field));
    else extras.push({ label: humanLabel(field), value });
  }
  const { fields, refused } = builder.build();
  extras.push(...refused);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = config.sourceId;
  const vars = { campaign_id: lead.campaignId, adgroup_id: lead.adgroupId, ad_id: lead.adId, form_id: lead.pageId, advertiser_id: lead.advertiserId };
  fields.TITLE = leadTitle(config.title ?? 'TikTok lead: {name}', fields, { form: lead.pageId, campaign: lead.campaignId }, false);
  const clickIds: Record<string, string> = { tiktok_lead_id: lead.leadId };
  for (const [key, value] of [['tiktok_advertiser_id', lead.advertiserId], ['tiktok_form_id', lead.pageId], ['tiktok_campaign_id', lead.campaignId], ['tiktok_adgroup_id', lead.adgroupId], ['tiktok_ad_id', lead.adId]] as const) {
    if (value) clickIds[key] = value;
  }
  return {
    ok: true,
    value: {
      id: identity.id,
      source: { kind: 'tiktok', name: lead.advertiserId ?? 'tiktok', externalId: lead.leadId },
      destination: config.destination,
      receivedAt: identity.receivedAt,
      fields,
      utm: applyUtmRule(TIKTOK_UTM_DEFAULTS, config.utm, vars),
      tracking: { clickIds },
      extras,
      trackingField: config.trackingField,
    },
  };
}
