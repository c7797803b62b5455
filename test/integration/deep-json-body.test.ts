import { Queue } from 'bullmq';
import { deliveryQueueName, META_LEADS_QUEUE } from '../../src/queue/jobs';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { sendWebhook } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';

/**
 * JSON nested thousands of levels deep is refused with a 4xx on every JSON endpoint (400
 * `body_too_deep`, or 413 when it is larger than the endpoint takes), never a 500 from a stack
 * overflow in code that walks the body, and nothing is queued.
 */
const APP_SECRET = 'deep-app-secret';
const PAGE_ID = '1234567890123456789';
const GOOGLE_KEY = 'deep-google-key-0001';
const partner = generatePartnerKey();

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('deep-json-body', {
    role: 'api',
    overrides: {
      sources: {
        google: { keys: [GOOGLE_KEY] },
        meta: { appSecret: APP_SECRET, verifyToken: 'verify-deep', graphUrl: 'http://127.0.0.1:9', pages: { [PAGE_ID]: { accessToken: 'EAAB-page' } } },
        partners: { acme: { keyHashes: [partner.hash] } },
      },
    },
  });
});

afterAll(async () => {
  await stack.stop();
});

const deepArray = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObject = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Each endpoint with the deep value where a real body has room for nested data. */
const endpoints: Array<{ name: string; send: (deep: string) => Promise<Response> }> = [
  {
    name: 'POST /v1/partners/leads',
    send: (deep) => post('/v1/partners/leads', `{"contact":{"email":"deep@example.com"},"custom":{"x":${deep}}}`, { authorization: `Bearer ${partner.key}`, 'idempotency-key': 'deep-1' }),
  },
  {
    name: 'POST /v1/partners/leads/batch',
    send: (deep) => post('/v1/partners/leads/batch', `{"leads":[{"contact":{"email":"deep@example.com"},"custom":{"x":${deep}}}]}`, { authorization: `Bearer ${partner.key}`, 'idempotency-key': 'deep-2' }),
  },
  { name: 'POST /v1/forms/:formId (JSON)', send: (deep) => post('/v1/forms/contact', `{"email":"deep@example.com","x":${deep}}`, { 'idempotency-key': 'deep-3' }) },
  { name: 'POST /v1/webhooks/google', send: (deep) => post('/v1/webhooks/google', `{"lead_id":"deep-1","google_key":"${GOOGLE_KEY}","user_column_data":${deep}}`) },
  { name: 'POST /v1/webhooks/meta', send: (deep) => sendWebhook(`${stack.api.url}/v1/webhooks/meta`, `{"object":"page","entry":${deep}}`, APP_SECRET) },
];

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe.each(endpoints)('$name with a deeply nested body', ({ send }) => {
  it.each([
    ['arrays', 3_000, deepArray],
    ['objects', 3_000, deepObject],
    ['arrays', 100_000, deepArray],
    ['objects', 100_000, deepObject],
  ])('refuses %s nested %i levels with a 4xx', async (_shape, levels, build) => {
    const response = await send(build(levels));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe('the partner API', () => {
  it('names the problem: 400 body_too_deep', async () => {
    const response = await post('/v1/partners/leads', `{"contact":{"email":"deep@example.com"},"custom":{"x":${deepArray(3_000)}}}`, { authorization: `Bearer ${partner.key}` });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'body_too_deep' });
  });
});

describe('after all of the above', () => {
  it('nothing was queued', async () => {
    for (const name of [deliveryQueueName('main'), META_LEADS_QUEUE]) {
      const queue = new Queue(name, { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
      const counts = await queue.getJobCounts();
      await queue.close();
      expect([name, Object.values(counts).reduce((a, b) => a + b, 0)]).toEqual([name, 0]);
    }
  });
});
