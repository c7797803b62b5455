import type { ExtraField, Lead } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';
import type { Mapped } from '../../lead/field-errors';
import type { MetaSourceConfig } from '../../config/sources-config';
import type { LeadgenNotification } from '../../lead/leadgen-notification';
import { leadTitle } from '../shared/lead-title';
import { LenientFields } from '../shared/lenient-fields';
import { META_STANDARD_FIELDS, humanLabel, isoBirthdate, platformName } from './meta-fields';
import { applyUtmRule, type UtmDefaults } from '../shared/utm-rule';

export interface GraphFieldData {
  name: string;
  values: string[];
}

/** A checkbox of the form's custom disclaimer: `is_checked` is "1" or "" in Graph's answers. */
export interface GraphDisclaimerResponse {
  checkbox_key: string;
  is_checked: string | boolean;
}

/** A lead as `GET /{version}/{leadgen_id}?fields=…` returns it. Ids are strings in Graph answers. */
export interface GraphLead {
  id: string;
  created_time?: string;
  field_data: GraphFieldData[];
  ad_id?: string;
  ad_name?: string;
  adset_id?: string;
  adset_name?: string;
  campaign_id?: string;
  campaign_name?: string;
  form_id?: string;
  is_organic?: boolean;
  platform?: string;
  custom_disclaimer_responses?: GraphDisclaimerResponse[];
}

/** The `fields` the client asks for: without them Graph leaves out campaign data and disclaimers. */
export const GRAPH_LEAD_FIELDS = [
  'id', 'created_time', 'field_data', 'ad_id', 'ad_name', 'adset_id', 'adset_name', 'campaign_id',
  'campaign_name', 'form_id', 'is_organic', 'platform', 'custom_disclaimer_responses',
] as const;

export const META_UTM_DEFAULTS: UtmDefaults = Object.freeze({
  source: '{platform}',
  medium: 'paid_social',
  campaign: '{campaign_name}',
  content: '{ad_name}',
  term: '{adset_name}',
});

type FieldMap = Record<string, string> | undefined;

/** Form mapping over the global one over Meta's standard keys; exact key first, then any case. */
function fieldLookup(maps: FieldMap[]): (key: string) => string | undefined {
  const lowered = maps.map((map) => new Map(Object.entries(map ?? {}).map(([k, v]) => [k.toLowerCase(), v])));
  return (key) => {
    for (let i = 0; i < maps.length; i += 1) {
      const code = ownValue(maps[i], key) ?? lowered[i]?.get(key.toLowerCase());
      if (code) return code;
    }
    return undefined;
  };
}

function phoneCountryOf(lead: GraphLead, fallback: string | undefined): string | undefined {
  const country = lead.field_data.find((f) => f.name === 'country')?.values[0]?.trim();
  return country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : fallback;
}

/**
 * A Graph API lead becomes a Lead: prefill keys to Bitrix24 fields, custom questions by config,
 * anything else (and any value Bitrix24 would refuse) kept as an extra line, campaign data into
 * UTM by the configured rule, Meta's ids kept for the operator. A lead without an ad id that is
 * not organic came from the testing tool or an ad preview: it is marked as a test; dropping it
 * (config `testLeads: drop`) is the caller's decision. Pure: id and time come from the caller.
 */
export function metaLeadToLead(
  graphLead: GraphLead,
  notification: LeadgenNotification,
  config: MetaSourceConfig,
  identity: { id: string; receivedAt: string },
): Mapped<Lead> {
  if (!Array.isArray(graphLead.field_data)) return { ok: false, errors: [{ field: 'field_data', message: 'is missing from the Graph API answer' }] };
  const page = config.pages[notification.pageId];
  const formId = graphLead.form_id ?? notification.formId;
  const form = formId ? page?.forms?.[formId] : undefined;
  const codeFor = fieldLookup([form?.fieldMap, config.fieldMap, META_STANDARD_FIELDS]);
  const builder = new LenientFields(phoneCountryOf(graphLead, config.phoneCountry));
  const extras: ExtraField[] = [];

  for (const field of graphLead.field_data) {
    const values = (Array.isArray(field.values) ? field.values : []).filter((v) => typeof v === 'string' && v.trim() !== '');
    if (!field.name || values.length === 0) continue;
    const code = codeFor(field.name);
    const label = humanLabel(field.name);
    const joined = values.map((v) => v.trim()).join(', ');
    if (!code) {
      extras.push({ label, value: joined });
    } else if (code === 'BIRTHDATE') {
      const date = isoBirthdate(values[0] ?? '');
      if (date) builder.set(code, date, label);
      else extras.push({ label, value: joined });
    } else if (code === 'EMAIL' || code === 'PHONE') {
      for (const value of values) builder.set(code, value, label);
    } else {
      builder.set(code, joined, label);
    }
  }
  for (const response of graphLead.custom_disclaimer_responses ?? []) {
    const checked = response.is_checked === true || response.is_checked === '1' || response.is_checked === 'true';
    extras.push({ label: `disclaimer ${response.checkbox_key}`, value: checked ? 'checked' : 'not checked' });
  }

  const vars: Record<string, string | undefined> = {
    platform: platformName(graphLead.platform),
    campaign_name: graphLead.campaign_name,
    campaign_id: graphLead.campaign_id,
    adset_name: graphLead.adset_name,
    adset_id: graphLead.adset_id ?? notification.adgroupId,
    ad_name: graphLead.ad_name,
    ad_id: graphLead.ad_id ?? notification.adId,
    form_id: formId,
    page_id: notification.pageId,
  };
  const test = !vars.ad_id && graphLead.is_organic !== true;
  const { fields, refused } = builder.build();
  extras.push(...refused);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = config.sourceId;
  const platform = vars.platform ?? '';
  const titleVars = { ...vars, platform: platform.charAt(0).toUpperCase() + platform.slice(1), form: formId, campaign: vars.campaign_name };
  fields.TITLE = leadTitle(config.title ?? '{platform} lead ad: {name}', fields, titleVars, test);

  const clickIds: Record<string, string> = {};
  const ids: Array<[string, string | undefined]> = [
    ['meta_lead_id', notification.leadgenId], ['meta_page_id', notification.pageId], ['meta_form_id', formId],
    ['meta_campaign_id', vars.campaign_id], ['meta_adset_id', vars.adset_id], ['meta_ad_id', vars.ad_id],
  ];
  for (const [key, value] of ids) if (value) clickIds[key] = value;

  const lead: Lead = {
    id: identity.id,
    source: { kind: 'meta', name: notification.pageId, externalId: notification.leadgenId },
    destination: form?.destination ?? page?.destination ?? config.destination,
    receivedAt: identity.receivedAt,
    fields,
    utm: applyUtmRule(META_UTM_DEFAULTS, config.utm, vars),
    tracking: { clickIds },
    extras,
    trackingField: config.trackingField,
  };
  if (test) lead.test = true;
  return { ok: true, value: lead };
}
