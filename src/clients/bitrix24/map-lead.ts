import type { Lead, LeadFields } from '../../lead/lead';
import { touchLines } from './touch-lines';

const UTM_FIELD: Record<string, string> = {
  source: 'UTM_SOURCE',
  medium: 'UTM_MEDIUM',
  campaign: 'UTM_CAMPAIGN',
  content: 'UTM_CONTENT',
  term: 'UTM_TERM',
};

function trackingLines(lead: Lead): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(lead.tracking.clickIds)) lines.push(`${key}: ${value}`);
  if (lead.tracking.pageUrl) lines.push(`page: ${lead.tracking.pageUrl}`);
  if (lead.tracking.referrer) lines.push(`referrer: ${lead.tracking.referrer}`);
  if (lead.tracking.touches) lines.push(...touchLines(lead.tracking.touches));
  if (lead.tracking.consent) lines.push(`consent: ${lead.tracking.consent}`);
  return lines;
}

function appendBlock(existing: unknown, lines: string[], heading?: string): string {
  const text = typeof existing === 'string' ? existing : '';
  if (lines.length === 0) return text;
  const block = (heading ? [heading, ...lines] : lines).join('\n');
  return text ? `${text}\n\n${block}` : block;
}

/**
 * The `fields` of crm.lead.add for one lead. ORIGINATOR_ID + ORIGIN_ID make every lead findable
 * after an ambiguous failure; unknown submitted fields and attribution go to text fields so the
 * sales team sees everything the visitor sent.
 */
export function toBitrix24Fields(lead: Lead, originatorId: string): LeadFields {
  const fields: LeadFields = { ...lead.fields };
  for (const [key, value] of Object.entries(lead.utm)) {
    const code = UTM_FIELD[key];
    if (code && value && fields[code] === undefined) fields[code] = value;
  }
  if (lead.extras.length > 0) {
    fields.COMMENTS = appendBlock(fields.COMMENTS, lead.extras.map((e) => `${e.label}: ${e.value}`));
  }
  const tracking = trackingLines(lead);
  if (tracking.length > 0) fields[lead.trackingField] = appendBlock(fields[lead.trackingField], tracking, '— tracking —');
  if (lead.test && typeof fields.TITLE === 'string' && !fields.TITLE.startsWith('[TEST]')) fields.TITLE = `[TEST] ${fields.TITLE}`;
  fields.ORIGINATOR_ID = originatorId;
  fields.ORIGIN_ID = lead.id;
  return fields;
}
