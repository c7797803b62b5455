import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../../../schemas/partner-lead.schema.json';
import { validatePartnerLead } from '../../../src/sources/partner/validate-partner-lead';

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, '../../fixtures/partner', name), 'utf8')) as unknown;

describe('validatePartnerLead (schemas/partner-lead.schema.json)', () => {
  it('accepts a complete lead', () => {
    expect(validatePartnerLead(fixture('valid.json'))).toEqual({ ok: true, value: fixture('valid.json') });
  });

  it('accepts every example published in the schema', () => {
    for (const example of schema.examples) expect(validatePartnerLead(example).ok).toBe(true);
  });

  it('lists every problem at once, each with its JSON pointer path, unknown properties named', () => {
    const result = validatePartnerLead(fixture('invalid-many.json'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(expect.arrayContaining([
      { field: '/priority', message: 'is not a known property' },
      { field: '/contact/fax', message: 'is not a known property' },
      { field: '/contact/email', message: 'must be a valid email' },
      { field: '/company/name', message: 'is required' },
      { field: '/utm/channel', message: 'is not a known property' },
      { field: '/consent/marketing', message: 'is required' },
      { field: '/consent/given_at', message: 'must be a valid date-time' },
      { field: '/custom/1bad key', message: 'is not an allowed name (must match ^[A-Za-z][A-Za-z0-9_]{0,63}$)' },
    ]));
    expect(result.errors).toHaveLength(8);
  });

  it('requires an email or a phone, said once', () => {
    expect(validatePartnerLead({ contact: { first_name: 'Anna' } })).toEqual({
      ok: false, errors: [{ field: '/contact', message: 'must have at least one of: email, phone' }],
    });
  });

  it('limits lengths and the number of custom fields', () => {
    const custom = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'x']));
    const result = validatePartnerLead({ contact: { phone: '+4915112345678', first_name: 'a'.repeat(101) }, comments: 'c'.repeat(5001), custom });
    expect(result.ok ? [] : result.errors).toEqual([
      { field: '/contact/first_name', message: 'must be at most 100 characters' },
      { field: '/comments', message: 'must be at most 5000 characters' },
      { field: '/custom', message: 'must NOT have more than 20 properties' },
    ]);
  });

  it('refuses a body that is not an object', () => {
    expect(validatePartnerLead([])).toEqual({ ok: false, errors: [{ field: '/', message: 'must be object' }] });
  });

  it('is a strict draft-07 schema with additionalProperties false on every object', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    addFormats(ajv);
    expect(() => ajv.compile(schema)).not.toThrow();
    const objects: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      const record = node as Record<string, unknown>;
      if (record.type === 'object' && path !== '/properties/custom') objects.push(`${path}:${String(record.additionalProperties)}`);
      for (const [key, value] of Object.entries(record)) if (key !== 'examples') walk(value, `${path}/${key}`);
    };
    walk(schema, '');
    expect(objects.every((entry) => entry.endsWith(':false'))).toBe(true);
  });
});
