import Ajv from 'ajv';
import schema from '../../schemas/form-submission.schema.json';
import type { FieldError } from '../lead/field-errors';

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

/**
 * Checks the shape (flat, bounded) and flattens values to strings. allErrors stays off on this
 * public path (Ajv's advice against DoS amplification): the first shape problem is enough to refuse.
 */
export function toSubmittedFields(body: unknown): { ok: true; fields: Record<string, string> } | { ok: false; errors: FieldError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '/', message: 'must be an object of fields' }] };
  }
  if (!validate(body)) {
    const error = validate.errors?.[0];
    const field = error?.instancePath ? error.instancePath.slice(1).replace(/~1/g, '/').replace(/~0/g, '~') : '/';
    const message = error?.keyword === 'maxProperties' ? 'too many fields' : error?.keyword === 'anyOf' ? 'must be a text value' : error?.message ?? 'is invalid';
    return { ok: false, errors: [{ field, message }] };
  }
  // Visitors name the fields: one called `__proto__` or `constructor` must stay a field.
  const fields = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    fields[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return { ok: true, fields };
}
