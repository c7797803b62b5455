/**
 * The front door (plain JSON posts to POST /v1/forms/:formId served past express) answers every
 * request exactly as express's own route does. Two servers are built from the same config, each on
 * its own Redis prefix: one runs createApi's `listener` (the front door, as `leadgate api` serves),
 * the other express's `app` alone. Each request of a corpus (valid posts, every body edge
 * body-parser handles, hostile ids and headers, idempotency, rate limiting, a refused enqueue) goes
 * to both, and status, headers and body must match, as must the leads each handed to its intake.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import IORedis, { type Redis } from 'ioredis';
import { buildConfig } from '../../src/config/load-config';
import { createApi } from '../../src/http/app';
import { queueUnavailable } from '../../src/http/http-error';
import type { Intake } from '../../src/http/intake';
import type { Lead } from '../../src/lead/lead';
import { IdempotencyStore } from '../../src/queue/idempotency-store';
import { silentLogger } from '../../src/shared/logger';
import { Metrics } from '../../src/shared/metrics';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

const RATE_LIMIT = 60;

interface Side {
  prefix: string;
  redis: Redis;
  server: Server;
  port: number;
  leads: Lead[];
  /** Requests that reached express (on the front door's side: those it did not take). */
  expressServed: number;
}

async function startSide(name: string, frontDoor: boolean): Promise<Side> {
  const prefix = uniquePrefix(`front-door-${name}`);
  const config = buildConfig({
    redis: { url: SHARED_REDIS_URL, prefix },
    http: { bodyLimit: '2kb', trustProxy: 1, rateLimit: { windowMs: 600_000, limit: RATE_LIMIT } },
    delivery: {},
    destinations: { main: { webhookUrl: 'https://portal.example/rest/1/abc/' } },
    acceptAnyForm: false,
    forms: {
      contact: { destination: 'main', allowedOrigins: ['https://www.example.com'], honeypot: 'website', fields: { budget: 'UF_CRM_BUDGET' }, phoneCountry: 'DE' },
      open: { destination: 'main', redirect: { success: 'https://www.example.com/thanks' } },
      windowed: { destination: 'main', duplicateWindowMinutes: 10 },
    },
  }, {});
  const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
  const metrics = new Metrics();
  const leads: Lead[] = [];
  // The intake's boundary: it records what each server handed over, and refuses one address as Redis would.
  const intake: Intake = {
    metrics,
    logger: silentLogger,
    canSpool: false,
    accept: async (lead) => {
      if (JSON.stringify(lead.fields).includes('refuse@example.com')) throw queueUnavailable();
      leads.push(lead);
      return 'queued';
    },
    acceptMany: async () => 'queued',
    acceptFetchJobs: async () => 'queued',
    acceptLinkedInJobs: async () => 'queued',
  };
  const api = createApi({ config, redis, intake, ledger: { get: async () => undefined }, idempotency: new IdempotencyStore(redis, prefix), metrics, logger: silentLogger });
  const side = { prefix, redis, server: createServer(frontDoor ? api.listener : api.app), port: 0, leads, expressServed: 0 };
  // express's app(req, res) calls app.handle: counting there counts what express served.
  const app = api.app as unknown as { handle: (...args: unknown[]) => unknown };
  const handle = app.handle.bind(app);
  app.handle = (...args: unknown[]) => {
    side.expressServed += 1;
    return handle(...args);
  };
  await new Promise<void>((resolve) => side.server.listen(0, '127.0.0.1', resolve));
  side.port = (side.server.address() as AddressInfo).port;
  return side;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface Sent {
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  method?: string;
}

/** One raw HTTP/1.1 request (exact headers and bytes: fetch would set its own Content-Type). */
function send(port: number, { path, headers = {}, body, method = 'POST' }: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** What must match: headers but the clock's, and bodies with each side's own lead ids and request ids blanked. */
function comparable(answer: Answer): unknown {
  const { date: _date, 'keep-alive': _keepAlive, ratelimit, ...headers } = answer.headers;
  const body = answer.body
    .replace(/"id":"[^"]+"/g, '"id":"<id>"')
    .replace(/request [0-9a-f-]{36}/g, 'request <id>');
  // The window's reset is in seconds since the side's own first hit: within a second of each other.
  const limit = typeof ratelimit === 'string' ? ratelimit.replace(/reset=\d+/, 'reset=<s>') : ratelimit;
  return { status: answer.status, headers: { ...headers, ratelimit: limit }, body };
}

function leadShape(lead: Lead): unknown {
  const { id: _id, receivedAt: _receivedAt, ...rest } = lead as unknown as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest).replaceAll(lead.id, '<id>'));
}

let door: Side;
let express: Side;

beforeAll(async () => {
  [door, express] = await Promise.all([startSide('door', true), startSide('express', false)]);
});

afterAll(async () => {
  for (const side of [door, express]) {
    await new Promise((resolve) => side.server.close(resolve));
    side.redis.disconnect();
    await dropPrefix(side.prefix);
  }
});

const JSON_TYPE = { 'content-type': 'application/json' };
const SITE = { ...JSON_TYPE, origin: 'https://www.example.com' };
const valid = JSON.stringify({ name: 'Jane Doe', email: 'jane@example.com', phone: '030 1234567', budget: '10k', utm_source: 'google' });

/** What the front door leaves to express: other spellings of the path, bodies body-parser reads, other methods. */
const LEFT_TO_EXPRESS = new Set([
  'a form id that is not valid percent-encoding', 'a trailing slash', 'other letter case', 'a body over the limit',
  'gzip that is not gzip', 'another charset', 'text/plain JSON (sendBeacon)', 'a GET of the form',
]);

const corpus: Array<[string, Sent]> = [
  ['a valid post', { path: '/v1/forms/contact', headers: SITE, body: valid }],
  ['a post with query parameters, Referer and cookies', {
    path: '/v1/forms/contact?utm_medium=cpc&gclid=abc&gclid=def&utm_campaign=',
    headers: { ...SITE, referer: 'https://www.example.com/landing?utm_term=crm&fbclid=xyz', cookie: '_fbc=fb.1.123.abc; _fbp=fb.1.2.3; lg_first_touch=%7B%22utm_source%22%3A%22bing%22%7D' },
    body: valid,
  }],
  ['the Referrer spelling', { path: '/v1/forms/contact', headers: { ...SITE, referrer: 'https://www.example.com/?utm_source=newsletter' }, body: valid }],
  ['charset and spacing in Content-Type', { path: '/v1/forms/contact', headers: { ...SITE, 'content-type': 'Application/JSON ; Charset=UTF-8' }, body: valid }],
  ['Content-Encoding identity', { path: '/v1/forms/contact', headers: { ...SITE, 'content-encoding': 'Identity' }, body: valid }],
  ['a byte-order mark', { path: '/v1/forms/contact', headers: SITE, body: `\uFEFF${valid}` }],
  ['bytes that are not UTF-8', { path: '/v1/forms/contact', headers: SITE, body: Buffer.concat([Buffer.from('{"name":"J'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","email":"bytes@example.com"}')]) }],
  ['an empty body', { path: '/v1/forms/contact', headers: SITE, body: '' }],
  ['a body of whitespace', { path: '/v1/forms/contact', headers: SITE, body: ' \n\t ' }],
  ['a JSON string', { path: '/v1/forms/contact', headers: SITE, body: '"jane@example.com"' }],
  ['a JSON number after whitespace', { path: '/v1/forms/contact', headers: SITE, body: '  42' }],
  ['null', { path: '/v1/forms/contact', headers: SITE, body: 'null' }],
  ['an array', { path: '/v1/forms/contact', headers: SITE, body: '[{"email":"jane@example.com"}]' }],
  ['truncated JSON', { path: '/v1/forms/contact', headers: SITE, body: '{"email":' }],
  ['a nested object', { path: '/v1/forms/contact', headers: SITE, body: '{"email":"jane@example.com","x":{"y":{"z":1}}}' }],
  ['deep nesting', { path: '/v1/forms/contact', headers: SITE, body: `${'['.repeat(500)}${']'.repeat(500)}` }],
  ['a field named __proto__', { path: '/v1/forms/contact', headers: SITE, body: '{"email":"proto@example.com","__proto__":"x","constructor":"y"}' }],
  ['no contact field', { path: '/v1/forms/contact', headers: SITE, body: '{"name":"Nobody"}' }],
  ['an invalid email', { path: '/v1/forms/contact', headers: SITE, body: '{"email":"not-an-email"}' }],
  ['a filled honeypot', { path: '/v1/forms/contact', headers: SITE, body: '{"email":"bot@example.com","website":"http://spam"}' }],
  ['an origin not allowed', { path: '/v1/forms/contact', headers: { ...JSON_TYPE, origin: 'https://evil.example' }, body: valid }],
  ['no Origin at all', { path: '/v1/forms/contact', headers: JSON_TYPE, body: valid }],
  ['an unknown form', { path: '/v1/forms/nope', headers: SITE, body: valid }],
  ['a form id of __proto__', { path: '/v1/forms/__proto__', headers: SITE, body: valid }],
  ['a percent-encoded form id', { path: '/v1/forms/con%74act', headers: SITE, body: valid }],
  ['a form id that is not valid percent-encoding', { path: '/v1/forms/%E0%A4%A', headers: SITE, body: valid }],
  ['a trailing slash', { path: '/v1/forms/contact/', headers: SITE, body: valid }],
  ['other letter case', { path: '/V1/Forms/contact', headers: SITE, body: valid }],
  ['a success redirect in the answer', { path: '/v1/forms/open', headers: JSON_TYPE, body: '{"phone":"+49 30 1234567"}' }],
  ['a body over the limit', { path: '/v1/forms/contact', headers: SITE, body: JSON.stringify({ email: 'big@example.com', message: 'x'.repeat(3000) }) }],
  ['gzip that is not gzip', { path: '/v1/forms/contact', headers: { ...SITE, 'content-encoding': 'gzip' }, body: valid }],
  ['another charset', { path: '/v1/forms/contact', headers: { ...SITE, 'content-type': 'application/json; charset=latin1' }, body: valid }],
  ['text/plain JSON (sendBeacon)', { path: '/v1/forms/contact', headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://www.example.com' }, body: valid }],
  ['a malformed Idempotency-Key', { path: '/v1/forms/contact', headers: { ...SITE, 'idempotency-key': 'has spaces in it' }, body: valid }],
  ['an Idempotency-Key', { path: '/v1/forms/contact', headers: { ...SITE, 'idempotency-key': 'key-0001' }, body: valid }],
  ['the same key and body again', { path: '/v1/forms/contact', headers: { ...SITE, 'idempotency-key': 'key-0001' }, body: valid }],
  ['the same key with another body', { path: '/v1/forms/contact', headers: { ...SITE, 'idempotency-key': 'key-0001' }, body: '{"email":"other@example.com"}' }],
  ['a lead the queue refuses', { path: '/v1/forms/contact', headers: SITE, body: '{"email":"refuse@example.com"}' }],
  ['a first contact in a duplicate window', { path: '/v1/forms/windowed', headers: JSON_TYPE, body: '{"email":"twice@example.com"}' }],
  ['the same contact again', { path: '/v1/forms/windowed', headers: JSON_TYPE, body: '{"email":"Twice@Example.com"}' }],
  ['a proxy-forwarded address', { path: '/v1/forms/contact', headers: { ...SITE, 'x-forwarded-for': '203.0.113.9' }, body: valid }],
  ['a GET of the form', { path: '/v1/forms/contact', method: 'GET', headers: SITE }],
];

describe('the form front door', () => {
  it.each(corpus)('answers %s as express does', async (name, sent) => {
    const before = door.expressServed;
    const [fromDoor, fromExpress] = await Promise.all([send(door.port, sent), send(express.port, sent)]);
    expect(comparable(fromDoor)).toEqual(comparable(fromExpress));
    expect({ name, byExpress: door.expressServed > before }).toEqual({ name, byExpress: LEFT_TO_EXPRESS.has(name) });
  });

  it('handed the intake the same leads', () => {
    expect(door.leads.length).toBeGreaterThan(10);
    expect(door.leads.map(leadShape)).toEqual(express.leads.map(leadShape));
  });

  it('counts toward the per-address limit as express does, up to the same 429', async () => {
    const answers: Array<[Answer, Answer]> = [];
    for (let i = 0; i < RATE_LIMIT; i += 1) {
      const sent = { path: '/v1/forms/contact', headers: SITE, body: valid };
      answers.push(await Promise.all([send(door.port, sent), send(express.port, sent)]));
      if (answers.at(-1)![0].status === 429) break;
    }
    const [lastDoor, lastExpress] = answers.at(-1)!;
    expect(lastDoor.status).toBe(429);
    expect(comparable(lastDoor)).toEqual(comparable(lastExpress));
    for (const [a, b] of answers) expect(comparable(a)).toEqual(comparable(b));
  });

  it('serves a post whose body arrives in pieces', async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: door.port, path: '/v1/forms/open', method: 'POST', headers: { ...JSON_TYPE, 'x-forwarded-for': '198.51.100.7', 'content-length': String(Buffer.byteLength(valid)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write(valid.slice(0, 10));
      setTimeout(() => req.end(valid.slice(10)), 50);
    });
    expect(answer.status).toBe(202);
  });

  it('keeps serving after a client drops its post halfway through the body', async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: door.port, path: '/v1/forms/open', method: 'POST', headers: { ...JSON_TYPE, 'x-forwarded-for': '198.51.100.8', 'content-length': '500' } });
      req.on('error', () => resolve());
      req.write('{"email":"half');
      setTimeout(() => req.destroy(), 50);
    });
    const after = await send(door.port, { path: '/v1/forms/open', headers: { ...JSON_TYPE, 'x-forwarded-for': '198.51.100.8' }, body: valid });
    expect(after.status).toBe(202);
  });
});
