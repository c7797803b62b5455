import type { ExtraField, Lead } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';
import type { Mapped } from '../../lead/field-errors';
import { leadTitle } from '../shared/lead-title';
import { LenientFields } from '../shared/lenient-fields';
import { applyUtmRule, type UtmDefaults } from '../shared/utm-rule';
import type { GoogleSourceConfig } from '../../config/sources-config';
import { GOOGLE_STANDARD_COLUMNS, columnLabel } from './google-columns';
import type { GoogleLead } from './google-lead';

export const GOOGLE_UTM_DEFAULTS: UtmDefaults = Object.freeze({
  source: 'google',
  medium: 'cpc',
  campaign: '{campaign_id}',
  content: null,
  term: null,
});

function columnLookup(maps: Array<Record<string, string> | undefined>): (columnId: string) => string | undefined {
  return (columnId) => {
    for (const map of maps) {
      const code = ownValue(map, columnId) ?? ownValue(map, columnId.toUpperCase());
      if (code) return code;
    }
    return undefined;
  };
}

/**
 * A Google Ads lead form submission becomes a Lead: standard columns to Bitrix24 fields, custom
 * columns by config or as extra lines (labelled by column_name, else column_id), the gcl_id as
 * the gclid, ids kept for the operator. `is_test` marks a test lead; dropping it (config
 * `testLeads: drop`) is the caller's decision. Pure: id and time come from the caller.
 */
export function googleLeadToLead(
  lead: GoogleLead,
  config: GoogleSourceConfig,
  identity: { id: string; receivedAt: string },
): Mapped<Lead> {
  const form = lead.form_id ? config.forms[lead.form_id] : undefined;
  const codeFor = columnLookup([form?.columnMap, config.columnMap, GOOGLE_STANDARD_COLUMNS]);
  const builder = new LenientFields(config.phoneCountry);
  const extras: ExtraField[] = [];

  for (const column of lead.user_column_data) {
    const value = column.string_value?.trim();
    if (!value) continue;
    const code = column.column_id ? codeFor(column.column_id.trim()) : undefined;
    if (code) builder.set(code, value, columnLabel(column));
    else extras.push({ label: columnLabel(column), value });
  }

  const { fields, refused } = builder.build();
  extras.push(...refused);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = config.sourceId;
  fields.TITLE = leadTitle(config.title ?? 'Google Ads lead: {name}', fields, { form: lead.form_id, campaign: lead.campaign_id }, lead.is_test);

  const clickIds: Record<string, string> = {};
  const ids: Array<[string, string | undefined]> = [
    ['gclid', lead.gcl_id], ['google_lead_id', lead.lead_id], ['google_form_id', lead.form_id],
    ['google_campaign_id', lead.campaign_id], ['google_adgroup_id', lead.adgroup_id],
    ['google_creative_id', lead.creative_id], ['google_asset_group_id', lead.asset_group_id],
  ];
  for (const [key, value] of ids) if (value) clickIds[key] = value;

  const vars = {
    campaign_id: lead.campaign_id, adgroup_id: lead.adgroup_id, creative_id: lead.creative_id,
    form_id: lead.form_id, asset_group_id: lead.asset_group_id, lead_source: lead.lead_source,
  };
  const value: Lead = {
    id: identity.id,
    source: { kind: 'google', name: lead.form_id ?? 'unknown', externalId: lead.lead_id },
    destination: form?.destination ?? config.destination,
    receivedAt: identity.receivedAt,
    fields,
    utm: applyUtmRule(GOOGLE_UTM_DEFAULTS, config.utm, vars),
    tracking: { clickIds },
    extras,
    trackingField: config.trackingField,
  };
  if (lead.is_test) value.test = true;
  return { ok: true, value };
}
