import Ajv from 'ajv';
import schema from '../../../schemas/google-lead.schema.json';
import type { FieldError } from '../../lead/field-errors';
import { idString, parseJsonExact } from '../shared/exact-json';
import { schemaProblems } from '../shared/schema-problems';

export interface GoogleColumn {
  column_id?: string;
  column_name?: string;
  string_value?: string;
}

/** Google's WebhookLead with every int64 id as its exact digit string. */
export interface GoogleLead {
  lead_id: string;
  user_column_data: GoogleColumn[];
  api_version?: string;
  form_id?: string;
  campaign_id?: string;
  adgroup_id?: string;
  creative_id?: string;
  asset_group_id?: string;
  /** The key as sent, whichever spelling of `google_key` carried it. */
  google_key?: string;
  is_test: boolean;
  gcl_id?: string;
  lead_stage?: string;
  lead_submit_time?: string;
  lead_source?: string;
}

export const GOOGLE_ID_KEYS = ['form_id', 'campaign_id', 'adgroup_id', 'creative_id', 'asset_group_id'] as const;
const TEXT_KEYS = ['api_version', 'gcl_id', 'lead_stage', 'lead_submit_time', 'lead_source'] as const;

/** Not a lead Google would send: answer 400 `{message}` (Google does not retry 4xx). */
export class GoogleLeadError extends Error {
  constructor(readonly problems: FieldError[]) {
    super(`malformed Google lead: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'GoogleLeadError';
  }
}

// First error only: this runs before the key is checked, on bodies anyone can send.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validateGoogleLead = ajv.compile<Record<string, unknown>>(schema);

/** The value of `google_key` under any capitalisation of the name (Google's samples use `Google_key`). */
export function presentedGoogleKey(body: object): string | undefined {
  for (const [name, value] of Object.entries(body)) {
    if (name.toLowerCase() === 'google_key' && typeof value === 'string') return value;
  }
  return undefined;
}

/** Parses the raw body so int64 ids keep every digit, then checks it against the published schema. */
export function parseGoogleLeadBody(raw: string | Buffer): GoogleLead {
  let body: unknown;
  try {
    body = parseJsonExact(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new GoogleLeadError([{ field: '/', message: 'is not valid JSON' }]);
  }
  if (!validateGoogleLead(body)) throw new GoogleLeadError(schemaProblems(validateGoogleLead.errors));
  const source = body;

  const lead: GoogleLead = {
    lead_id: source.lead_id as string,
    user_column_data: Array.isArray(source.user_column_data) ? (source.user_column_data as GoogleColumn[]) : [],
    is_test: source.is_test === true,
  };
  for (const key of GOOGLE_ID_KEYS) {
    const id = idString(source[key]);
    if (id !== undefined) lead[key] = id;
  }
  for (const key of TEXT_KEYS) {
    const value = source[key];
    if (typeof value === 'string') lead[key] = value;
  }
  const key = presentedGoogleKey(source);
  if (key !== undefined) lead.google_key = key;
  return lead;
}
