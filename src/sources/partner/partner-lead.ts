import { UTM_KEYS, type ExtraField, type Lead, type Utm } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';
import { LeadFieldsBuilder } from '../contact-fields';
import type { Mapped } from '../../lead/field-errors';
import { leadTitle } from '../shared/lead-title';
import { applyConsent, consentLine, type ConsentAnswer } from '../shared/consent';
import type { PartnerConfig } from '../../config/sources-config';

/** A body that passed schemas/partner-lead.schema.json. */
export interface PartnerLead {
  external_ref?: string;
  contact: { first_name?: string; last_name?: string; full_name?: string; email?: string; phone?: string };
  company?: { name: string; position?: string };
  comments?: string;
  utm?: Utm;
  consent?: { marketing: boolean; given_at?: string; text?: string };
  custom?: Record<string, string | number | boolean>;
}

function utmOf(utm: Utm | undefined): Utm {
  const out: Utm = {};
  for (const key of UTM_KEYS) {
    const value = utm?.[key]?.trim();
    if (value) out[key] = value;
  }
  return out;
}

/**
 * A validated partner body becomes a Lead: contact and company to Bitrix24 fields, `custom` keys by
 * the partner's fieldMap or as extra lines, consent kept as an extra line (Bitrix24 has no field for
 * it), SOURCE_ID PARTNER and SOURCE_DESCRIPTION the partner's name unless configured. Unlike ad
 * platforms the partner is still on the line, so a phone or email Bitrix24 would refuse is a 422.
 */
export function partnerLeadToLead(
  body: PartnerLead,
  partnerName: string,
  partner: PartnerConfig,
  identity: { id: string; receivedAt: string },
): Mapped<Lead> {
  const builder = new LeadFieldsBuilder(partner.phoneCountry);
  const { contact } = body;
  if (contact.full_name) builder.set('FULL_NAME', contact.full_name, '/contact/full_name');
  if (contact.first_name) builder.set('NAME', contact.first_name, '/contact/first_name');
  if (contact.last_name) builder.set('LAST_NAME', contact.last_name, '/contact/last_name');
  if (contact.email) builder.set('EMAIL', contact.email, '/contact/email');
  if (contact.phone) builder.set('PHONE', contact.phone, '/contact/phone');
  if (body.company) builder.set('COMPANY_TITLE', body.company.name, '/company/name');
  if (body.company?.position) builder.set('POST', body.company.position, '/company/position');
  if (body.comments) builder.set('COMMENTS', body.comments, '/comments');

  const extras: ExtraField[] = [];
  for (const [key, raw] of Object.entries(body.custom ?? {})) {
    const value = String(raw);
    const code = ownValue(partner.fieldMap, key);
    if (code) builder.set(code, value, `/custom/${key}`);
    else if (value.trim() !== '') extras.push({ label: key.replace(/_+/g, ' '), value: value.trim() });
  }
  const consent: ConsentAnswer | undefined = body.consent
    ? { given: body.consent.marketing, ...(body.consent.given_at ? { at: body.consent.given_at } : {}), ...(body.consent.text ? { text: body.consent.text } : {}) }
    : undefined;

  const fields = builder.build();
  const errors = [...builder.errors];
  const consentError = applyConsent(fields, partner.consent, consent, { path: '/consent', receivedAt: identity.receivedAt });
  if (consentError) errors.push(consentError);
  if (!builder.hasContact() && errors.length === 0) errors.push({ field: '/contact', message: 'must have an email or a phone' });
  if (errors.length > 0) return { ok: false, errors };

  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = partner.sourceId;
  if (fields.SOURCE_DESCRIPTION === undefined) fields.SOURCE_DESCRIPTION = (partner.sourceDescription ?? partnerName).slice(0, 255);
  fields.TITLE = leadTitle(partner.title ?? 'Partner {partner}: {name}', fields, { partner: partnerName }, false);

  const source: Lead['source'] = { kind: 'partner', name: partnerName };
  if (body.external_ref) source.externalId = body.external_ref;
  return {
    ok: true,
    value: {
      id: identity.id,
      source,
      destination: partner.destination,
      receivedAt: identity.receivedAt,
      fields,
      utm: utmOf(body.utm),
      tracking: { clickIds: {}, ...(consent ? { consent: consentLine(consent) } : {}) },
      extras,
      trackingField: partner.trackingField,
    },
  };
}
