import type { LinkedInSourceConfig } from '../../config/sources-config';
import type { Mapped } from '../../lead/field-errors';
import type { ExtraField, Lead } from '../../lead/lead';
import { ownValue } from '../../lead/own-value';
import { leadTitle } from '../shared/lead-title';
import { LenientFields } from '../shared/lenient-fields';
import { applyUtmRule, type UtmDefaults } from '../shared/utm-rule';
import type { LinkedInNotification } from './linkedin-webhook';

/** A form response as `GET /rest/leadFormResponses/{id}` returns it (Lead Sync API). */
export interface LinkedInLeadResponse {
  id?: string;
  owner?: Record<string, string>;
  submittedAt?: number;
  testLead?: boolean;
  leadType?: string;
  versionedLeadGenFormUrn?: string;
  leadMetadata?: { sponsoredLeadMetadata?: { campaign?: string } };
  associatedEntity?: Record<string, string>;
  formResponse?: {
    answers?: Array<{ questionId?: number | string; answerDetails?: { textQuestionAnswer?: { answer?: string }; multipleChoiceAnswer?: { options?: Array<number | string> } } }>;
    consentResponses?: Array<{ consentId?: number | string; accepted?: boolean }>;
  };
}

type Localized = { localized?: Record<string, string> };

/** A form as `GET /rest/leadForms/{id}` returns it: what each questionId asks. */
export interface LinkedInLeadForm {
  id?: number | string;
  name?: string;
  content?: {
    questions?: Array<{
      questionId?: number | string;
      name?: string;
      predefinedField?: string;
      question?: Localized;
      questionDetails?: { multipleChoiceQuestionDetails?: { options?: Array<{ id?: number | string; text?: Localized }> } };
    }>;
    consents?: Array<{ consentId?: number | string; content?: Localized }>;
  };
}

/** LinkedIn's predefined fields → Bitrix24 lead fields; the rest go to extras unless configured. */
export const LINKEDIN_PREDEFINED_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  FIRST_NAME: 'NAME',
  LAST_NAME: 'LAST_NAME',
  EMAIL: 'EMAIL',
  WORK_EMAIL: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  WORK_PHONE_NUMBER: 'PHONE',
  CITY: 'ADDRESS_CITY',
  STATE: 'ADDRESS_PROVINCE',
  COUNTRY: 'ADDRESS_COUNTRY',
  ZIP_CODE: 'ADDRESS_POSTAL_CODE',
  JOB_TITLE: 'POST',
  COMPANY_NAME: 'COMPANY_TITLE',
  LINKEDIN_PROFILE_LINK: 'WEB',
});

export const LINKEDIN_UTM_DEFAULTS: UtmDefaults = Object.freeze({ source: 'linkedin', medium: 'paid_social', campaign: '{campaign_id}', content: '{creative_id}', term: null });

const urnId = (urn: string | undefined): string | undefined => (urn ? /:([^:]+)$/.exec(urn)?.[1] : undefined);
const text = (localized: Localized | undefined): string | undefined => {
  const values = Object.values(localized?.localized ?? {});
  return values.find((v) => typeof v === 'string' && v.trim() !== '');
};

/**
 * A LinkedIn form response becomes a Lead: predefined questions to Bitrix24 fields, questions named
 * in `fieldMap` (by name or questionId) to theirs, anything else (and consents) as labelled extra
 * lines, campaign and creative into UTM. `testLead` marks a test lead; dropping it is the caller's
 * decision. Pure: id and time come from the caller.
 */
export function linkedInLeadToLead(
  response: LinkedInLeadResponse,
  form: LinkedInLeadForm | undefined,
  notification: LinkedInNotification,
  config: LinkedInSourceConfig,
  identity: { id: string; receivedAt: string },
): Mapped<Lead> {
  const answers = response.formResponse?.answers;
  if (!Array.isArray(answers)) return { ok: false, errors: [{ field: 'formResponse.answers', message: 'is missing from the Lead Sync API answer' }] };
  const questions = new Map((form?.content?.questions ?? []).map((q) => [String(q.questionId), q]));
  const builder = new LenientFields(config.phoneCountry);
  const extras: ExtraField[] = [];
  for (const answer of answers) {
    const question = questions.get(String(answer.questionId));
    const label = text(question?.question) ?? question?.name ?? `question ${String(answer.questionId)}`;
    const details = answer.answerDetails;
    let value = details?.textQuestionAnswer?.answer?.trim();
    if (value === undefined && Array.isArray(details?.multipleChoiceAnswer?.options)) {
      const options = question?.questionDetails?.multipleChoiceQuestionDetails?.options ?? [];
      value = details.multipleChoiceAnswer.options.map((id) => text(options.find((o) => String(o.id) === String(id))?.text) ?? String(id)).join(', ');
    }
    if (!value) continue;
    const code =
      (question?.name ? ownValue(config.fieldMap, question.name) : undefined) ??
      ownValue(config.fieldMap, String(answer.questionId)) ??
      (question?.predefinedField ? ownValue(LINKEDIN_PREDEFINED_FIELDS, question.predefinedField) : undefined);
    if (code) builder.set(code, value, label);
    else extras.push({ label, value });
  }
  for (const consent of response.formResponse?.consentResponses ?? []) {
    const wording = text(form?.content?.consents?.find((c) => String(c.consentId) === String(consent.consentId))?.content);
    extras.push({ label: `consent ${wording ?? String(consent.consentId)}`.slice(0, 200), value: consent.accepted ? 'accepted' : 'not accepted' });
  }

  const formId = notification.formId ?? /leadGenForm:([0-9]+)/.exec(response.versionedLeadGenFormUrn ?? '')?.[1];
  const vars: Record<string, string | undefined> = {
    campaign_id: urnId(response.leadMetadata?.sponsoredLeadMetadata?.campaign),
    creative_id: urnId(notification.creativeUrn ?? Object.values(response.associatedEntity ?? {})[0]),
    form_id: formId,
    account_id: urnId(notification.ownerUrn ?? Object.values(response.owner ?? {})[0]),
  };
  const test = response.testLead === true;
  const { fields, refused } = builder.build();
  extras.push(...refused);
  if (fields.SOURCE_ID === undefined) fields.SOURCE_ID = config.sourceId;
  fields.TITLE = leadTitle(config.title ?? 'LinkedIn lead: {name}', fields, { form: form?.name ?? formId, campaign: vars.campaign_id }, test);

  const clickIds: Record<string, string> = { linkedin_response_id: notification.responseId };
  for (const [key, value] of [['linkedin_form_id', formId], ['linkedin_campaign_id', vars.campaign_id], ['linkedin_creative_id', vars.creative_id], ['linkedin_account_id', vars.account_id]] as const) {
    if (value) clickIds[key] = value;
  }
  const lead: Lead = {
    id: identity.id,
    source: { kind: 'linkedin', name: vars.account_id ?? 'linkedin', externalId: notification.responseId },
    destination: config.destination,
    receivedAt: identity.receivedAt,
    fields,
    utm: applyUtmRule(LINKEDIN_UTM_DEFAULTS, config.utm, vars),
    tracking: { clickIds },
    extras,
    trackingField: config.trackingField,
  };
  if (test) lead.test = true;
  return { ok: true, value: lead };
}
