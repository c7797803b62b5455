import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../../../schemas/partner-lead.schema.json';
import type { Mapped } from '../../lead/field-errors';
import { schemaProblems } from '../shared/schema-problems';
import type { PartnerLead } from './partner-lead';

// allErrors: a partner fixing an integration wants every problem at once, and the caller is
// authenticated and rate limited, so the cost of collecting them all is bounded.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['email', 'date-time']);
const validate = ajv.compile<PartnerLead>(schema);

/**
 * Checks a partner's body against schemas/partner-lead.schema.json: ok with the typed lead, or
 * every problem as `{field: '/contact/email', message}` (unknown properties named by their path),
 * for a 422.
 */
export function validatePartnerLead(body: unknown): Mapped<PartnerLead> {
  if (validate(body)) return { ok: true, value: body };
  return { ok: false, errors: schemaProblems(validate.errors) };
}
