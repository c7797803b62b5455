import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let stack: Stack;
let formUrl: string;

beforeAll(async () => {
  stack = await startStack('form-intake', {
    overrides: {
      acceptAnyForm: false,
      http: { bodyLimit: '2kb' },
      forms: {
        contact: {
          destination: 'main',
          allowedOrigins: ['https://www.example.com'],
          honeypot: 'website',
          fields: { name: 'NAME', budget: 'UF_CRM_BUDGET' },
          set: { ASSIGNED_BY_ID: 1, OPENED: 'Y' },
          phoneCountry: 'DE',
        },
        html: { destination: 'main', redirect: { success: 'https://www.example.com/thanks', error: 'https://www.example.com/form-error' } },
      },
    },
  });
  formUrl = `${stack.api.url}/v1/forms/contact`;
});

afterAll(async () => {
  await stack.stop();
});

async function leadFor(id: string): Promise<Record<string, unknown>> {
  const lead = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), `lead ${id} in Bitrix24`);
  return lead.fields;
}

async function queuedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('POST /v1/forms/:formId', () => {
  it('turns a JSON post into a Bitrix24 lead with split name, multifields, UTM and extras', async () => {
    const response = await postJson(`${formUrl}?utm_medium=cpc`, {
      name: 'Jane van der Berg',
      email: 'jane@example.com',
      phone: '030 1234567',
      message: 'Please call',
      budget: '10k',
      favourite_colour: 'teal',
      utm_source: 'google',
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string };
    expect(body.status).toBe('queued');
    const fields = await leadFor(body.id);
    expect(fields).toMatchObject({
      NAME: 'Jane',
      LAST_NAME: 'van der Berg',
      EMAIL: [{ VALUE: 'jane@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+49301234567', VALUE_TYPE: 'WORK' }],
      UF_CRM_BUDGET: '10k',
      UTM_SOURCE: 'google',
      UTM_MEDIUM: 'cpc',
      ASSIGNED_BY_ID: '1',
      OPENED: 'Y',
      SOURCE_ID: 'WEB',
      ORIGINATOR_ID: 'leadgate',
      ORIGIN_ID: body.id,
    });
    expect(fields.COMMENTS).toBe('Please call\n\nfavourite colour: teal');
  });

  it('accepts a urlencoded post and takes UTM from the page URL (Referer)', async () => {
    const response = await fetch(formUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: 'https://www.example.com/lp?utm_campaign=spring&gclid=Cj0KCQ' },
      body: new URLSearchParams({ first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' }).toString(),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const fields = await leadFor(id);
    expect(fields).toMatchObject({ NAME: 'Ann', LAST_NAME: 'Lee', UTM_CAMPAIGN: 'spring' });
    expect(fields.COMMENTS).toContain('gclid: Cj0KCQ');
    expect(fields.COMMENTS).toContain('page: https://www.example.com/lp?utm_campaign=spring&gclid=Cj0KCQ');
  });

  it('accepts multipart form data and takes UTM from cookies', async () => {
    const form = new FormData();
    form.set('name', 'Bob Stone');
    form.set('tel', '+1 650 555 0123');
    const response = await fetch(formUrl, { method: 'POST', body: form, headers: { cookie: 'utm_term=crm%20tool; _fbp=fb.1.1596403881668.1116446470' } });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const fields = await leadFor(id);
    expect(fields).toMatchObject({ NAME: 'Bob', LAST_NAME: 'Stone', PHONE: [{ VALUE: '+16505550123', VALUE_TYPE: 'WORK' }], UTM_TERM: 'crm tool' });
    expect(fields.COMMENTS).toContain('fbp: fb.1.1596403881668.1116446470');
  });

  it('accepts sendBeacon text/plain JSON', async () => {
    const response = await fetch(formUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ email: 'beacon@example.com', utm_content: 'hero' }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(await leadFor(id)).toMatchObject({ EMAIL: [{ VALUE: 'beacon@example.com', VALUE_TYPE: 'WORK' }], UTM_CONTENT: 'hero' });
  });

  it('redirects a plain HTML form post with 303 to the success URL', async () => {
    const response = await fetch(`${stack.api.url}/v1/forms/html`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      body: 'email=html%40example.com',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://www.example.com/thanks');
  });

  it('redirects an invalid HTML form post to the error URL with the code', async () => {
    const response = await fetch(`${stack.api.url}/v1/forms/html`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'name=nobody',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://www.example.com/form-error?error=validation_failed');
  });

  it('answers a filled honeypot as if accepted, but queues nothing', async () => {
    const jobsBefore = await queuedJobs();
    const response = await postJson(formUrl, { email: 'bot@spam.test', website: 'http://spam.test' });
    expect(response.status).toBe(202);
    expect(await queuedJobs()).toBe(jobsBefore);
    // By content, not by count: an earlier test's lead may still be on its way to the portal.
    expect(stack.sim.leads().filter((l) => JSON.stringify(l.fields.EMAIL ?? '').includes('bot@spam.test'))).toHaveLength(0);
  });

  it('answers CORS preflight for allowed origins only', async () => {
    const allowed = await fetch(formUrl, { method: 'OPTIONS', headers: { origin: 'https://www.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://www.example.com');
    const other = await fetch(formUrl, { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postJson(formUrl, { email: 'x@example.com' }, { origin: 'https://evil.test' });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ error: 'origin_not_allowed' });
  });

  it('sends helmet security headers', async () => {
    const response = await fetch(`${stack.api.url}/healthz`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  describe('refuses bad input with a clear 4xx and queues nothing', () => {
    let jobsBefore: number;
    let leadsBefore: number;
    beforeEach(async () => {
      jobsBefore = await queuedJobs();
      leadsBefore = stack.sim.leads().length;
    });
    afterEach(async () => {
      expect(await queuedJobs()).toBe(jobsBefore);
      expect(stack.sim.leads().length).toBe(leadsBefore);
    });

    it('malformed JSON → 400 malformed_json', async () => {
      const response = await fetch(formUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": ' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'malformed_json' });
    });

    it('malformed sendBeacon text → 400 malformed_json', async () => {
      const response = await fetch(formUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=a@b.c' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'malformed_json' });
    });

    it('wrong content type → 415 unsupported_media_type', async () => {
      const response = await fetch(formUrl, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<lead/>' });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: 'unsupported_media_type' });
    });

    it('oversize body → 413 payload_too_large', async () => {
      const response = await postJson(formUrl, { email: 'a@example.com', message: 'x'.repeat(5000) });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
    });

    it('missing contact → 422 validation_failed with details', async () => {
      const response = await postJson(formUrl, { name: 'No Contact' });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        error: 'validation_failed',
        message: 'the submission is not valid',
        details: [{ field: 'email', message: 'an email or a phone is required' }],
      });
    });

    it('invalid email → 422 naming the field', async () => {
      const response = await postJson(formUrl, { email: 'not-an-email' });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ details: [{ field: 'email', message: 'must be a valid email address' }] });
    });

    it('nested JSON values → 422', async () => {
      const response = await postJson(formUrl, { email: 'a@example.com', extra: { nested: true } });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ error: 'validation_failed', details: [{ field: 'extra' }] });
    });

    it('unknown form → 404 unknown_form', async () => {
      const response = await postJson(`${stack.api.url}/v1/forms/nope`, { email: 'a@example.com' });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'unknown_form' });
    });

    it('file upload → 400 file_upload_not_supported', async () => {
      const form = new FormData();
      form.set('email', 'a@example.com');
      form.set('cv', new Blob(['%PDF-1.4'], { type: 'application/pdf' }), 'cv.pdf');
      const response = await fetch(formUrl, { method: 'POST', body: form });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'file_upload_not_supported' });
    });
  });
});

describe('Idempotency-Key on form posts', () => {
  it('answers a retried post with the first answer and creates one lead', async () => {
    const body = { email: 'retry@example.com', message: 'sent twice' };
    const first = await postJson(formUrl, body, { 'idempotency-key': 'landing-7f3a' });
    const second = await postJson(formUrl, body, { 'idempotency-key': 'landing-7f3a' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const a = (await first.json()) as { id: string };
    expect(await second.json()).toEqual(a);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await leadFor(a.id);
    expect(stack.sim.leads().filter((l) => String(JSON.stringify(l.fields.EMAIL)).includes('retry@example.com'))).toHaveLength(1);
  });

  it('refuses the same key with other fields (409) and queues nothing for it', async () => {
    await postJson(formUrl, { email: 'one@example.com' }, { 'idempotency-key': 'landing-9b1c' });
    const reused = await postJson(formUrl, { email: 'two@example.com' }, { 'idempotency-key': 'landing-9b1c' });
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
  });
});
