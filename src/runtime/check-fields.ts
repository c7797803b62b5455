/**
 * The parts of `leadgate check` that compare the configuration with a portal's crm.lead.fields
 * answer: values that a list field does not offer (Bitrix24 stores nothing for them, without an
 * error) and fields the portal requires that no mapping fills (every such lead would be refused).
 */
import type { Config } from '../config/config';
import { configuredFieldUses } from '../config/field-uses';
import { DEFAULT_FORM_FIELDS } from '../sources/website-form';
import { META_STANDARD_FIELDS } from '../sources/meta/meta-fields';
import { GOOGLE_STANDARD_COLUMNS } from '../sources/google/google-columns';
import { UTM_KEYS } from '../lead/lead';

/** What the check reads of one field in crm.lead.fields. */
interface PortalField {
  type?: string;
  isRequired?: boolean;
  isReadOnly?: boolean;
  title?: string;
  items?: Array<{ ID: string | number; VALUE: string }>;
}

/** A value known from the configuration alone, written to every lead of a form or source. */
interface StaticValue {
  code: string;
  value: string;
  usedBy: string;
}

const UTM_CODES = UTM_KEYS.map((k) => `UTM_${k.toUpperCase()}`);
/** Written to every lead whatever the configuration says (src/clients/bitrix24/map-lead.ts, the title templates). */
const ALWAYS_WRITTEN = ['TITLE', 'ORIGINATOR_ID', 'ORIGIN_ID'];
/** What the partner API maps from its fixed body (src/sources/partner/partner-lead.ts). */
const PARTNER_FIELDS = ['NAME', 'LAST_NAME', 'EMAIL', 'PHONE', 'COMPANY_TITLE', 'POST', 'COMMENTS', 'SOURCE_ID', 'SOURCE_DESCRIPTION'];
/** Bitrix24 gives these a value itself when a lead comes without one (the stage, the caller, …). */
const PORTAL_DEFAULTS = new Set(['STATUS_ID', 'ASSIGNED_BY_ID', 'CURRENCY_ID', 'OPENED', 'OPPORTUNITY', 'IS_MANUAL_OPPORTUNITY']);

/** FULL_NAME is leadgate's own target: it fills NAME and LAST_NAME. */
const bitrixCodes = (codes: Iterable<string>): string[] => [...codes].flatMap((c) => (c === 'FULL_NAME' ? ['NAME', 'LAST_NAME'] : [c]));

/** Every lead field some lead for this destination can carry: mapped (configured or standard), set, or always written. */
export function fieldsLeadgateFills(config: Config, destination: string): Set<string> {
  const fills = new Set<string>(ALWAYS_WRITTEN);
  const add = (codes: Iterable<string>): void => {
    for (const code of bitrixCodes(codes)) fills.add(code);
  };
  const uses = configuredFieldUses(config).fields.filter((f) => f.destination === destination);
  add(uses.map((f) => f.code));
  // field-uses lists each ad source's tracking field once per destination it delivers to.
  const delivers = (source: 'meta' | 'google'): boolean => uses.some((f) => f.usedBy === `sources.${source}.trackingField`);
  if (config.destinations[destination]?.assign) fills.add('ASSIGNED_BY_ID');
  const forms = Object.values(config.forms).filter((f) => f.destination === destination);
  if (forms.length > 0 || (config.acceptAnyForm && destination === 'main')) add([...Object.values(DEFAULT_FORM_FIELDS), ...UTM_CODES]);
  for (const form of forms) {
    if (form.assign) fills.add('ASSIGNED_BY_ID');
    if (form.consent?.field) fills.add(form.consent.field);
  }
  const { meta, google, partners } = config.sources ?? { partners: {} };
  if (meta && delivers('meta')) {
    add([...Object.values(META_STANDARD_FIELDS), 'SOURCE_ID', ...utmCodes(meta.utm)]);
    if (meta.assign) fills.add('ASSIGNED_BY_ID');
  }
  if (google && delivers('google')) {
    add([...Object.values(GOOGLE_STANDARD_COLUMNS), 'SOURCE_ID', ...utmCodes(google.utm)]);
    if (google.assign) fills.add('ASSIGNED_BY_ID');
  }
  for (const partner of Object.values(partners).filter((p) => p.destination === destination)) {
    add([...PARTNER_FIELDS, ...UTM_CODES]);
    if (partner.assign) fills.add('ASSIGNED_BY_ID');
    if (partner.consent?.field) fills.add(partner.consent.field);
  }
  return fills;
}

/** UTM fields an ad source fills: its defaults, less the keys the config switches off with null. */
function utmCodes(rule: Partial<Record<string, string | null>> | undefined): string[] {
  return UTM_KEYS.filter((k) => rule?.[k] !== null).map((k) => `UTM_${k.toUpperCase()}`);
}

/** Values fixed by the configuration: forms' `set`, and the Y/N or date a consent field receives. */
function staticValues(config: Config, destination: string): StaticValue[] {
  const out: StaticValue[] = [];
  const consent = (field: string | undefined, type: 'boolean' | 'date', usedBy: string): void => {
    if (!field) return;
    if (type === 'boolean') for (const value of ['Y', 'N']) out.push({ code: field, value, usedBy });
    else out.push({ code: field, value: 'a date', usedBy });
  };
  for (const [id, form] of Object.entries(config.forms)) {
    if (form.destination !== destination) continue;
    for (const [code, value] of Object.entries(form.set ?? {})) out.push({ code, value: String(value), usedBy: `forms.${id}.set.${code}` });
    consent(form.consent?.field, form.consent?.type ?? 'boolean', `forms.${id}.consent.field`);
  }
  for (const [name, partner] of Object.entries(config.sources?.partners ?? {})) {
    if (partner.destination === destination) consent(partner.consent?.field, partner.consent?.type ?? 'boolean', `sources.partners.${name}.consent.field`);
  }
  return out;
}

/**
 * Problems, one line each, without the "destination X:" prefix. `entity` names the schema the fields
 * come from (a deal destination checks its deal and contact schemas); `fills` says which of its fields
 * leadgate writes (default: every lead field it can fill).
 */
export function leadFieldProblems(
  config: Config,
  destination: string,
  portalFields: Record<string, unknown>,
  schema: { entity: 'lead' | 'deal' | 'contact'; fills?: Set<string> } = { entity: 'lead' },
): string[] {
  const problems: string[] = [];
  const noun = `${schema.entity} field`;
  const field = (code: string): PortalField | undefined => portalFields[code] as PortalField | undefined;

  for (const use of staticValues(config, destination)) {
    const spec = field(use.code);
    const items = spec?.type === 'enumeration' ? spec.items : undefined;
    if (!Array.isArray(items)) continue;
    if (items.some((i) => String(i.ID) === use.value)) continue;
    const offered = items.map((i) => `${i.ID} "${i.VALUE}"`).join(', ');
    const label = items.find((i) => i.VALUE.trim().toLowerCase() === use.value.trim().toLowerCase());
    const hint = label ? `; "${use.value}" is the label of item ${label.ID}: set the ID` : '';
    const shown = use.value === 'a date' ? 'a date' : `"${use.value}"`;
    problems.push(`${schema.entity === 'lead' ? 'list field' : `list ${noun}`} ${use.code} (${use.usedBy}) would get ${shown}, which is not one of its items (${offered || 'none'}); Bitrix24 would silently store nothing${hint}`);
  }

  const fills = schema.fills ?? fieldsLeadgateFills(config, destination);
  for (const [code, raw] of Object.entries(portalFields)) {
    const spec = raw as PortalField;
    if (spec?.isRequired !== true || spec.isReadOnly === true || fills.has(code) || PORTAL_DEFAULTS.has(code)) continue;
    const title = spec.title && spec.title !== code ? ` "${spec.title}"` : '';
    problems.push(`the portal requires ${noun} ${code}${title}, which no form or source maps or sets; Bitrix24 would refuse every ${schema.entity === 'lead' ? 'lead' : 'deal'}`);
  }
  return problems;
}
