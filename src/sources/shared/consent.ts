import type { ConsentConfig } from '../../config/assign-consent-config';
import type { FieldError } from '../../lead/field-errors';
import type { LeadFields } from '../../lead/lead';

/** What a person said about marketing contact, as a form or partner sent it. */
export interface ConsentAnswer {
  given: boolean;
  at?: string;
  text?: string;
}

/** The line written to the tracking block, so the sales team sees the wording the person agreed to. */
export function consentLine(answer: ConsentAnswer): string {
  const parts = [answer.given ? 'yes' : 'no'];
  if (answer.at) parts.push(`given at ${answer.at}`);
  if (answer.text?.trim()) parts.push(`"${answer.text.trim()}"`);
  return parts.join(', ');
}

/**
 * Consent into the lead: the configured UF_CRM_* field (Y/N, or the time it was given), and an
 * error when the setting requires consent the person did not give (or did not send).
 */
export function applyConsent(fields: LeadFields, config: ConsentConfig | undefined, answer: ConsentAnswer | undefined, where: { path: string; receivedAt: string }): FieldError | undefined {
  if (config?.required && !answer?.given) return { field: where.path, message: 'marketing consent is required' };
  if (!config?.field || !answer) return undefined;
  if (config.type === 'date') {
    if (answer.given) fields[config.field] = answer.at ?? where.receivedAt;
  } else fields[config.field] = answer.given ? 'Y' : 'N';
  return undefined;
}

const YES = new Set(['on', 'yes', 'true', '1', 'y']);

/** A form checkbox: absent or anything but on/yes/true/1/Y is no consent. */
export function formConsentAnswer(value: string | undefined, text: string | undefined, receivedAt: string): ConsentAnswer {
  const given = value !== undefined && YES.has(value.trim().toLowerCase());
  return { given, ...(given ? { at: receivedAt } : {}), ...(text ? { text } : {}) };
}
