import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let stack: Stack;
const partner = generatePartnerKey();

beforeAll(async () => {
  stack = await startStack('consent', {
    overrides: {
      acceptAnyForm: false,
      forms: {
        newsletter: { consent: { input: 'marketing_ok', text: 'Send me offers by email.', field: 'UF_CRM_CONSENT', required: true } },
        contact: { consent: { field: 'UF_CRM_CONSENT_AT', type: 'date' } },
      },
      sources: { partners: { acme: { keyHashes: [partner.hash], consent: { field: 'UF_CRM_CONSENT', required: true } } } },
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

async function delivered(id: string): Promise<Record<string, unknown>> {
  const lead = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), 'lead delivered');
  return lead.fields as Record<string, unknown>;
}

describe('marketing consent', () => {
  it('a form checkbox fills the configured boolean field, its wording goes to the tracking block', async () => {
    const response = await postJson(`${stack.api.url}/v1/forms/newsletter`, { email: 'yes@example.com', marketing_ok: 'on' });
    expect(response.status).toBe(202);
    const fields = await delivered(((await response.json()) as { id: string }).id);
    expect(fields.UF_CRM_CONSENT).toBe('Y');
    expect(fields.COMMENTS).toMatch(/— tracking —[\s\S]*consent: yes, given at .*, "Send me offers by email\."/);
    expect(fields.COMMENTS).not.toContain('marketing ok');
  });

  it('a required consent that is refused or absent is a 422', async () => {
    for (const body of [{ email: 'no@example.com' }, { email: 'no@example.com', marketing_ok: 'no' }]) {
      const response = await postJson(`${stack.api.url}/v1/forms/newsletter`, body);
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ error: 'validation_failed', details: [{ field: 'marketing_ok', message: 'marketing consent is required' }] });
    }
  });

  it('a date field gets the time consent was given; refused consent leaves it empty', async () => {
    const given = await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'date@example.com', consent: 'yes' });
    const refused = await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'nodate@example.com' });
    expect((await delivered(((await given.json()) as { id: string }).id)).UF_CRM_CONSENT_AT).toMatch(/^\d{4}-\d\d-\d\dT/);
    const refusedFields = await delivered(((await refused.json()) as { id: string }).id);
    expect(refusedFields.UF_CRM_CONSENT_AT).toBeUndefined();
    expect(refusedFields.COMMENTS).toContain('consent: no');
  });

  it('a partner\'s consent maps to the field; refused with required consent is a 422', async () => {
    const headers = { authorization: `Bearer ${partner.key}` };
    const ok = await postJson(`${stack.api.url}/v1/partners/leads`, { contact: { email: 'p@example.com' }, consent: { marketing: true, given_at: '2026-03-01T10:15:00Z', text: 'Offers OK' } }, headers);
    expect(ok.status).toBe(202);
    const fields = await delivered(((await ok.json()) as { id: string }).id);
    expect(fields.UF_CRM_CONSENT).toBe('Y');
    expect(fields.COMMENTS).toContain('consent: yes, given at 2026-03-01T10:15:00Z, "Offers OK"');
    const refused = await postJson(`${stack.api.url}/v1/partners/leads`, { contact: { email: 'p2@example.com' }, consent: { marketing: false } }, headers);
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain('/consent');
  });
});
