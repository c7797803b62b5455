import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const fixture = (name: string): string => readFileSync(join(__dirname, '../fixtures/webhooks', name), 'utf8');
const TOKEN = 'landing-token-0123456789';
const TYPEFORM_SECRET = 'typeform-secret-0001';
const WEBFLOW_SECRET = 'webflow-client-secret-0001';
const CUSTOM_SECRET = 'custom-hmac-secret-0001';

let stack: Stack;
const url = (name: string, query = ''): string => `${stack.api.url}/v1/webhooks/custom/${name}${query}`;

beforeAll(async () => {
  stack = await startStack('custom-webhooks', {
    overrides: {
      sources: {
        partners: {},
        webhooks: {
          tilda: { preset: 'tilda', token: TOKEN },
          typeform: { preset: 'typeform', secret: TYPEFORM_SECRET, fields: { readable_ref_short_text: 'first_name', readable_ref_multiple_choice: 'UF_CRM_CITY' } },
          unbounce: { preset: 'unbounce', token: TOKEN },
          webflow: { preset: 'webflow', secret: WEBFLOW_SECRET },
          wordpress: { preset: 'cf7', token: TOKEN },
          elementor: { preset: 'elementor', token: TOKEN, fields: { budget: 'UF_CRM_BUDGET' } },
          signed: {
            auth: { type: 'hmac', header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', secret: CUSTOM_SECRET },
            format: 'json',
            id: '/submission/id',
            fields: { '/submission/contact/email': 'email', '/submission/contact/phone': 'phone', '/submission/answers/0/value': 'UF_CRM_INTEREST' },
            utm: { source: '/tracking/source', campaign: '/tracking/campaign' },
          },
          header: { auth: { type: 'token', header: 'X-Api-Key', token: TOKEN }, format: 'urlencoded', id: 'ref' },
          office: { auth: { type: 'none' }, allowedIps: ['127.0.0.0/8', '::1'], format: 'json' },
          elsewhere: { auth: { type: 'none' }, allowedIps: ['203.0.113.0/24'], format: 'json' },
        },
      },
    } as never,
  });
});

afterAll(async () => {
  await stack.stop();
});

const form = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
const json = (body: string, headers: Record<string, string> = {}) => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const typeformSignature = (body: string): string => `sha256=${createHmac('sha256', TYPEFORM_SECRET).update(body).digest('base64')}`;
const webflowHeaders = (body: string, at = Date.now()): Record<string, string> => ({
  'x-webflow-timestamp': String(at),
  'x-webflow-signature': createHmac('sha256', WEBFLOW_SECRET).update(`${at}:${body}`).digest('hex'),
});

function leadsFrom(name: string): Array<Record<string, unknown>> {
  return stack.sim.leads().map((l) => l.fields).filter((f) => f.SOURCE_DESCRIPTION === name);
}

async function delivered(name: string, count = 1): Promise<Array<Record<string, unknown>>> {
  return waitFor(() => (leadsFrom(name).length >= count ? leadsFrom(name) : undefined), `${count} lead(s) from ${name}`);
}

async function queuedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('presets, each with the payload its vendor documents', () => {
  it('Tilda: answers the connection test "ok" without a lead, then delivers a submission with its UTM cookie', async () => {
    const test = await fetch(url('tilda', `?token=${TOKEN}`), form(fixture('tilda-test.txt')));
    expect(test.status).toBe(200);
    expect(await test.text()).toBe('ok');

    const response = await fetch(url('tilda', `?token=${TOKEN}`), form(fixture('tilda-submission.txt')));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: expect.stringMatching(/^lg_/), status: 'queued' });
    const [fields] = await delivered('tilda');
    expect(fields).toMatchObject({
      NAME: 'Ivan',
      LAST_NAME: 'Petrov',
      EMAIL: [{ VALUE: 'ivan.petrov@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+79991234567', VALUE_TYPE: 'WORK' }],
      COMMENTS: expect.stringContaining('Please call me after 6 pm'),
      UTM_SOURCE: 'yandex',
      UTM_MEDIUM: 'cpc',
      UTM_CAMPAIGN: 'spring_sale',
      TITLE: 'Tilda: Ivan Petrov',
      SOURCE_ID: 'WEB',
    });
    expect(String(fields?.COMMENTS)).not.toContain('tranid');
  });

  it('Typeform: verifies Typeform-Signature (base64), maps answers by ref and type, hidden UTM fields', async () => {
    const body = fixture('typeform-form-response.json');
    const response = await fetch(url('typeform'), json(body, { 'Typeform-Signature': typeformSignature(body) }));
    expect(response.status).toBe(200);
    const [fields] = await delivered('typeform');
    expect(fields).toMatchObject({
      NAME: 'Laura',
      EMAIL: [{ VALUE: 'laura@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+61293744000', VALUE_TYPE: 'WORK' }],
      UF_CRM_CITY: 'London',
      UTM_SOURCE: 'newsletter',
      UTM_CAMPAIGN: 'winter',
      TITLE: 'Typeform: Laura',
    });
    const comments = String(fields?.COMMENTS);
    expect(comments).toContain('Which pictures do you like? You can choose as many as you like.: London, Sydney');
    expect(comments).toContain('Have you ever been to Sydney?: yes');
    expect(comments).toContain('When did you last visit?: 2005-10-15');
  });

  it('Unbounce: reads the answers from the data.json form field', async () => {
    const response = await fetch(url('unbounce', `?token=${TOKEN}`), form(fixture('unbounce-form-post.txt')));
    expect(response.status).toBe(200);
    const [fields] = await delivered('unbounce');
    expect(fields).toMatchObject({
      NAME: 'Alex',
      LAST_NAME: 'Smith',
      EMAIL: [{ VALUE: 'alex.smith@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+16045550123', VALUE_TYPE: 'WORK' }],
      TITLE: 'Unbounce: Alex Smith',
    });
    const comments = String(fields?.COMMENTS);
    expect(comments).toContain('how_did_you_hear_about_us: A friend');
    expect(comments).toContain('http://unbouncepages.com/example-page/');
    expect(comments).not.toContain('238.17.159.4');
  });

  it('Webflow: verifies the timestamped signature and maps payload.data by label', async () => {
    const body = fixture('webflow-form-submission.json');
    const response = await fetch(url('webflow'), json(body, webflowHeaders(body)));
    expect(response.status).toBe(200);
    const [fields] = await delivered('webflow');
    expect(fields).toMatchObject({
      NAME: 'Zaphod',
      LAST_NAME: 'Beeblebrox',
      EMAIL: [{ VALUE: 'zaphod@heartofgold.ai', VALUE_TYPE: 'WORK' }],
      // A JSON number in the payload; without phoneCountry it is kept as its digits.
      PHONE: [{ VALUE: '15550000000', VALUE_TYPE: 'WORK' }],
      TITLE: 'Webflow Contact Us: Zaphod Beeblebrox',
    });
  });

  it('Webflow: a captured request replayed after five minutes is refused, signature and all', async () => {
    const body = fixture('webflow-form-submission.json').replace('6321ca84df3949bfc6752327', '6321ca84df3949bfc6752399');
    const response = await fetch(url('webflow'), json(body, webflowHeaders(body, Date.now() - 6 * 60_000)));
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'timestamp_stale' });
  });

  it('Contact Form 7: maps your-name / your-email / your-message and leaves the _wpcf7 fields out', async () => {
    const response = await fetch(url('wordpress', `?token=${TOKEN}`), form(fixture('cf7-submission.txt')));
    expect(response.status).toBe(200);
    const [fields] = await delivered('wordpress');
    expect(fields).toMatchObject({ NAME: 'Jane', LAST_NAME: 'Doe', EMAIL: [{ VALUE: 'jane.doe@example.com', VALUE_TYPE: 'WORK' }] });
    const comments = String(fields?.COMMENTS);
    expect(comments).toContain('Do you offer annual plans?');
    expect(comments).toContain('your-subject: Pricing question');
    expect(comments).not.toContain('wpcf7');

    // Contact Form 7 sends no submission id: the same bytes again are the same submission.
    const again = await fetch(url('wordpress', `?token=${TOKEN}`), form(fixture('cf7-submission.txt')));
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    await sleep(200);
    expect(leadsFrom('wordpress')).toHaveLength(1);
  });

  it('Elementor: reads both the simple and the "Advanced Data" shapes', async () => {
    expect((await fetch(url('elementor', `?token=${TOKEN}`), form(fixture('elementor-simple.txt')))).status).toBe(200);
    expect((await fetch(url('elementor', `?token=${TOKEN}`), form(fixture('elementor-advanced.txt')))).status).toBe(200);
    const leads = await delivered('elementor', 2);
    const simple = leads.find((f) => String(f.COMMENTS).includes('I would like a quote'));
    const advanced = leads.find((f) => f.UF_CRM_BUDGET !== undefined);
    expect(simple).toMatchObject({ NAME: 'Maria', LAST_NAME: 'Garcia', PHONE: [{ VALUE: '+34612345678', VALUE_TYPE: 'WORK' }], TITLE: 'Elementor New Form: Maria Garcia' });
    expect(advanced).toMatchObject({ NAME: 'Maria', EMAIL: [{ VALUE: 'maria.garcia@example.com', VALUE_TYPE: 'WORK' }], UF_CRM_BUDGET: '5-10k', TITLE: 'Elementor Quote request: Maria Garcia' });
    expect(String(advanced?.COMMENTS)).toContain('https://www.example.com/quote/?utm_source=google');
    expect(String(advanced?.COMMENTS)).not.toContain('203.0.113.7');
  });
});

describe('a webhook written out in full', () => {
  const body = JSON.stringify({
    submission: { id: 9007199254740993123, contact: { email: 'Buyer@Example.com', phone: '+44 20 7946 0958' }, answers: [{ value: 'Enterprise plan' }] },
    tracking: { source: 'partner-site', campaign: 'q4' },
    note: 'call before noon',
  });
  const sign = (text: string, secret = CUSTOM_SECRET): string => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;

  it('maps JSON Pointers to lead fields and Bitrix24 codes, and deduplicates by the 19-digit id it points at', async () => {
    const first = await fetch(url('signed'), json(body, { 'X-Signature': sign(body) }));
    expect(first.status).toBe(200);
    const [fields] = await delivered('signed');
    expect(fields).toMatchObject({
      EMAIL: [{ VALUE: 'buyer@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+442079460958', VALUE_TYPE: 'WORK' }],
      UF_CRM_INTEREST: 'Enterprise plan',
      UTM_SOURCE: 'partner-site',
      UTM_CAMPAIGN: 'q4',
    });
    expect(String(fields?.COMMENTS)).toContain('note: call before noon');

    // The same submission again, re-serialised with other spacing: the id says it is the same one.
    const again = JSON.stringify(JSON.parse(body.replace('9007199254740993123', '"9007199254740993123"')), null, 1);
    const repeat = await fetch(url('signed'), json(again, { 'X-Signature': sign(again) }));
    expect(repeat.status).toBe(200);
    expect(await repeat.json()).toMatchObject({ status: 'duplicate' });
    await sleep(300);
    expect(leadsFrom('signed')).toHaveLength(1);
  });

  it('refuses a wrong or missing signature and a missing id, queueing nothing', async () => {
    const before = await queuedJobs();
    const other = body.replace('q4', 'q5');
    const wrong = await fetch(url('signed'), json(other, { 'X-Signature': sign(other, 'another-secret-000') }));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'signature_invalid', message: expect.any(String) });
    const missing = await fetch(url('signed'), json(other));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'signature_missing' });
    const noId = JSON.stringify({ submission: { contact: { email: 'a@example.com' } } });
    const unidentified = await fetch(url('signed'), json(noId, { 'X-Signature': sign(noId) }));
    expect(unidentified.status).toBe(422);
    expect(await unidentified.json()).toMatchObject({ error: 'validation_failed', details: [{ field: '/submission/id' }] });
    await sleep(100);
    expect(await queuedJobs()).toBe(before);
  });

  it('takes a token from the configured header and refuses it in the query', async () => {
    const body2 = 'ref=R-1&email=header%40example.com&name=Header+Person';
    expect((await fetch(url('header', `?token=${TOKEN}`), form(body2))).status).toBe(401);
    expect((await fetch(url('header'), form(body2, { 'X-Api-Key': 'not-the-token-000000' }))).status).toBe(403);
    const ok = await fetch(url('header'), form(body2, { 'X-Api-Key': TOKEN }));
    expect(ok.status).toBe(200);
    await delivered('header');
  });

  it('auth none: takes requests from an allowed address only', async () => {
    const ok = await fetch(url('office'), json(JSON.stringify({ email: 'office@example.com', name: 'Office Person' })));
    expect(ok.status).toBe(200);
    await delivered('office');
    const refused = await fetch(url('elsewhere'), json(JSON.stringify({ email: 'x@example.com' })));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'ip_not_allowed' });
  });

  it('a preset without its token, and an unknown webhook name, create nothing', async () => {
    const before = await queuedJobs();
    expect((await fetch(url('tilda'), form(fixture('tilda-submission.txt')))).status).toBe(401);
    expect((await fetch(url('tilda', '?token=wrong-token-0000000000'), form(fixture('tilda-submission.txt')))).status).toBe(403);
    const unknown = await fetch(url('nope', `?token=${TOKEN}`), form(fixture('tilda-submission.txt')));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'source_disabled' });
    await sleep(100);
    expect(await queuedJobs()).toBe(before);
  });
});
