import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(__dirname, '../fixtures/partner', name), 'utf8')) as Record<string, unknown>;

const acme = generatePartnerKey();
const acmeRotated = generatePartnerKey();
const globex = generatePartnerKey();
const tiny = generatePartnerKey();

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('partner-api', {
    overrides: {
      sources: {
        partners: {
          acme: { keyHashes: [acme.hash, acmeRotated.hash], phoneCountry: 'DE', fieldMap: { seats: 'UF_CRM_SEATS' } },
          globex: { keyHashes: [globex.hash], sourceDescription: 'Globex referral programme' },
          tiny: { keyHashes: [tiny.hash], rateLimit: { windowMs: 60_000, limit: 2 } },
        },
      },
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.api.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function leadsWithOrigin(id: string): Array<Record<string, unknown>> {
  return stack.sim.leads().map((l) => l.fields).filter((f) => f.ORIGIN_ID === id);
}

function lead(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { contact: { full_name: 'Joe Example', email }, ...extra };
}

describe('partner API authentication', () => {
  it('refuses a missing or unknown key with 401 and a WWW-Authenticate challenge', async () => {
    const none = await call('POST', '/v1/partners/leads', undefined, lead('a@example.com'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    expect((await call('POST', '/v1/partners/leads', 'lgp_not-a-real-key', lead('a@example.com'))).status).toBe(401);
    expect((await call('GET', '/v1/partners/leads/lg_m1abcdef0123456789abcdef', 'lgp_not-a-real-key')).status).toBe(401);
  });

  it('accepts either of a partner\'s keys during a rotation', async () => {
    expect((await call('POST', '/v1/partners/leads', acmeRotated.key, lead('rotated@example.com'))).status).toBe(202);
  });
});

describe('POST /v1/partners/leads', () => {
  it('queues a valid lead (202) and delivers it with SOURCE_ID PARTNER and the partner name as SOURCE_DESCRIPTION', async () => {
    const response = await call('POST', '/v1/partners/leads', acme.key, fixture('valid.json'));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string; external_ref: string };
    expect(body).toEqual({ id: expect.stringMatching(/^lg_/), status: 'queued', external_ref: 'ref-2026-000123' });
    const [fields] = await waitFor(() => (leadsWithOrigin(body.id).length > 0 ? leadsWithOrigin(body.id) : undefined), 'the lead in Bitrix24');
    expect(fields).toMatchObject({
      NAME: 'Anna',
      LAST_NAME: 'Schmidt',
      EMAIL: [{ VALUE: 'anna.schmidt@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+4915112345678', VALUE_TYPE: 'WORK' }],
      COMPANY_TITLE: 'Schmidt GmbH',
      POST: 'Head of Purchasing',
      SOURCE_ID: 'PARTNER',
      SOURCE_DESCRIPTION: 'acme',
      TITLE: 'Partner acme: Anna Schmidt',
      UTM_SOURCE: 'partner_newsletter',
      UTM_CAMPAIGN: 'spring_2026',
      UF_CRM_SEATS: '20',
    });
    expect(fields?.COMMENTS).toContain('Wants a quote for 20 seats.');
    expect(fields?.COMMENTS).toContain('consent: yes, given at 2026-03-01T10:15:00Z');
  });

  it('answers 422 listing every problem of the body', async () => {
    const response = await call('POST', '/v1/partners/leads', acme.key, fixture('invalid-many.json'));
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: string; details: Array<{ field: string; message: string }> };
    expect(body.error).toBe('validation_failed');
    expect(body.details.map((d) => d.field).sort()).toEqual(
      ['/company/name', '/consent/given_at', '/consent/marketing', '/contact/email', '/contact/fax', '/custom/1bad key', '/priority', '/utm/channel'].sort(),
    );
  });

  it('answers 422 for a phone Bitrix24 would refuse, and 415 for a body that is not JSON', async () => {
    const bad = await call('POST', '/v1/partners/leads', acme.key, { contact: { phone: 'call me maybe' } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ details: [expect.objectContaining({ field: '/contact/phone' })] });
    const form = await fetch(`${stack.api.url}/v1/partners/leads`, { method: 'POST', headers: { authorization: `Bearer ${acme.key}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a@example.com' });
    expect(form.status).toBe(415);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeat with the same key and body with the original answer, and creates one lead', async () => {
    const body = lead('idem@example.com', { external_ref: 'idem-1' });
    const first = await call('POST', '/v1/partners/leads', acme.key, body, { 'idempotency-key': 'order-4711' });
    expect(first.status).toBe(202);
    const original = (await first.json()) as { id: string };
    // Same content in another key order is the same request.
    const reordered = { external_ref: 'idem-1', contact: { email: 'idem@example.com', full_name: 'Joe Example' } };
    const second = await call('POST', '/v1/partners/leads', acme.key, reordered, { 'idempotency-key': 'order-4711' });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(original);
    await waitFor(() => leadsWithOrigin(original.id).length === 1, 'the lead');
    await sleep(200);
    expect(stack.sim.leads().filter((l) => JSON.stringify(l.fields.EMAIL).includes('idem@example.com'))).toHaveLength(1);
  });

  it('answers 409 when the same key comes with a different body', async () => {
    expect((await call('POST', '/v1/partners/leads', acme.key, lead('first@example.com'), { 'idempotency-key': 'order-4712' })).status).toBe(202);
    const changed = await call('POST', '/v1/partners/leads', acme.key, lead('second@example.com'), { 'idempotency-key': 'order-4712' });
    expect(changed.status).toBe(409);
    expect(await changed.json()).toMatchObject({ error: 'idempotency_key_reused' });
  });

  it('keeps keys per partner: another partner may use the same key', async () => {
    const response = await call('POST', '/v1/partners/leads', globex.key, lead('globex@example.com'), { 'idempotency-key': 'order-4712' });
    expect(response.status).toBe(202);
  });

  it('gives two identical requests racing each other one lead between them', async () => {
    const body = lead('race@example.com');
    const [a, b] = await Promise.all([
      call('POST', '/v1/partners/leads', acme.key, body, { 'idempotency-key': 'race-1' }),
      call('POST', '/v1/partners/leads', acme.key, body, { 'idempotency-key': 'race-1' }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const [ida, idb] = [((await a.json()) as { id: string }).id, ((await b.json()) as { id: string }).id];
    expect(ida).toBe(idb);
    await waitFor(() => leadsWithOrigin(ida).length === 1, 'the lead');
  });

  it('frees the key after a 422, so the corrected request is taken', async () => {
    expect((await call('POST', '/v1/partners/leads', acme.key, { contact: { first_name: 'No contact' } }, { 'idempotency-key': 'fix-1' })).status).toBe(422);
    expect((await call('POST', '/v1/partners/leads', acme.key, lead('fixed@example.com'), { 'idempotency-key': 'fix-1' })).status).toBe(202);
  });
});

describe('per-partner rate limit', () => {
  it('answers 429 with Retry-After once the partner\'s limit is used up, without touching other partners', async () => {
    expect((await call('POST', '/v1/partners/leads', tiny.key, lead('t1@example.com'))).status).toBe(202);
    expect((await call('POST', '/v1/partners/leads', tiny.key, lead('t2@example.com'))).status).toBe(202);
    const limited = await call('POST', '/v1/partners/leads', tiny.key, lead('t3@example.com'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    expect((await call('POST', '/v1/partners/leads', globex.key, lead('g2@example.com'))).status).toBe(202);
  });
});

describe('GET /v1/partners/leads/:id', () => {
  it('shows a partner its own lead, delivered with the Bitrix24 id, and hides it from another partner', async () => {
    const response = await call('POST', '/v1/partners/leads', acme.key, lead('status@example.com', { external_ref: 'status-1' }));
    const { id } = (await response.json()) as { id: string };
    const delivered = await waitFor(async () => {
      const answer = (await (await call('GET', `/v1/partners/leads/${id}`, acme.key)).json()) as Record<string, unknown>;
      return answer.status === 'delivered' ? answer : undefined;
    }, 'delivered status');
    expect(delivered).toEqual({
      id,
      status: 'delivered',
      external_ref: 'status-1',
      bitrix_lead_id: Number(leadsWithOrigin(id)[0]?.ID),
      received_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const foreign = await call('GET', `/v1/partners/leads/${id}`, globex.key);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: 'lead_not_found' });
    expect((await call('GET', '/v1/partners/leads/lg_m1abcdef0123456789abcdef', acme.key)).status).toBe(404);
    expect((await call('GET', '/v1/partners/leads/not-an-id', acme.key)).status).toBe(404);
  });
});

describe('POST /v1/partners/leads/batch', () => {
  it('answers each item on its own: 207 with ids for valid items and every problem for invalid ones', async () => {
    const response = await call('POST', '/v1/partners/leads/batch', globex.key, {
      leads: [lead('b1@example.com', { external_ref: 'b-1' }), fixture('invalid-many.json'), lead('b3@example.com'), { contact: { first_name: 'Nobody' } }],
    });
    expect(response.status).toBe(207);
    const { results } = (await response.json()) as { results: Array<Record<string, unknown>> };
    expect(results).toHaveLength(4);
    expect(results[0]).toEqual({ index: 0, id: expect.stringMatching(/^lg_/), status: 'queued', external_ref: 'b-1' });
    expect(results[1]).toMatchObject({ index: 1, error: 'validation_failed' });
    expect((results[1]?.details as unknown[]).length).toBe(8);
    expect(results[2]).toEqual({ index: 2, id: expect.stringMatching(/^lg_/), status: 'queued' });
    expect(results[3]).toEqual({ index: 3, error: 'validation_failed', details: [{ field: '/contact', message: 'must have at least one of: email, phone' }] });
    for (const index of [0, 2]) {
      const id = String(results[index]?.id);
      const [fields] = await waitFor(() => (leadsWithOrigin(id).length > 0 ? leadsWithOrigin(id) : undefined), `batch lead ${index}`);
      expect(fields).toMatchObject({ SOURCE_ID: 'PARTNER', SOURCE_DESCRIPTION: 'Globex referral programme' });
    }
  });

  it('answers 202 when every item is queued, and 422 for an empty or oversized batch', async () => {
    const ok = await call('POST', '/v1/partners/leads/batch', globex.key, { leads: [lead('c1@example.com'), lead('c2@example.com')] });
    expect(ok.status).toBe(202);
    expect(((await ok.json()) as { results: unknown[] }).results).toHaveLength(2);
    const empty = await call('POST', '/v1/partners/leads/batch', globex.key, { leads: [] });
    expect(empty.status).toBe(422);
    const tooMany = await call('POST', '/v1/partners/leads/batch', globex.key, { leads: Array.from({ length: 101 }, (_, i) => lead(`x${i}@example.com`)) });
    expect(tooMany.status).toBe(422);
    expect(await tooMany.json()).toMatchObject({ details: [{ field: '/leads', message: 'must have at most 100 leads' }] });
  });
});
