import { Queue } from 'bullmq';
import type { Lead } from '../../src/lead/lead';
import { deliveryQueueName, META_LEADS_QUEUE, readDeliverLeadJob, type DeliverLeadJob } from '../../src/queue/jobs';
import { LINKEDIN_LEADS_QUEUE } from '../../src/queue/linkedin-lead-queue';
import { signMetaBody } from '../../src/sources/meta/verify-signature';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { startStack, type Stack } from '../helpers/stack';
import { rawHttp, type RawAnswer, type RawRequest } from './raw-http';

export const ADMIN_TOKEN = 'admin-secret';
export const META_SECRET = 'hostile-meta-secret';
export const META_VERIFY = 'hostile-verify-token';
export const META_PAGE = '1234567890123456789';
export const GOOGLE_KEY = 'hostile-google-key-0001';
export const PARTNER = generatePartnerKey();
/** Configured webhooks (sources.webhooks): a token preset, an HMAC preset and a JSON-in-a-form-field preset. */
export const HOOK_TOKEN = 'hostile-hook-token-0001';
export const TYPEFORM_SECRET = 'hostile-typeform-secret';
export const LINKEDIN_SECRET = 'hostile-linkedin-secret';
export const TIKTOK_SECRET = 'hostile-tiktok-secret';

/** Documented defaults the suite holds the server to (README, schemas/config.schema.json). */
export const TIMEOUTS = { requestTimeoutMs: 15_000, headersTimeoutMs: 10_000 };

export interface HostileStack {
  stack: Stack;
  port: number;
  /** Jobs of every state in every queue a refused request could have written to. */
  jobCount(): Promise<number>;
  /** The lead a 202 queued, as the worker will read it. */
  lead(id: string): Promise<Lead>;
  /** Every lead waiting in the delivery queue (nothing consumes it in this stack). */
  waitingLeads(): Promise<Lead[]>;
  stop(): Promise<void>;
}

/**
 * An API-only leadgate (no worker, so whatever is queued stays visible) with every source switched
 * on, a strict form list and limits high enough that a few hundred requests from one address pass.
 */
export async function startHostileStack(name: string, http: Record<string, unknown> = {}, extraForms: Record<string, unknown> = {}): Promise<HostileStack> {
  const stack = await startStack(`hostile-${name}`, {
    role: 'api',
    overrides: {
      acceptAnyForm: false,
      http: { bodyLimit: '16kb', rateLimit: { windowMs: 60_000, limit: 100_000 }, webhookRateLimit: { windowMs: 60_000, limit: 100_000 }, ...http },
      admin: { token: ADMIN_TOKEN },
      forms: {
        contact: { destination: 'main', allowedOrigins: ['https://www.example.com'], honeypot: 'website', phoneCountry: 'DE', fields: { budget: 'UF_CRM_BUDGET' } },
        open: { destination: 'main' },
        ...extraForms,
      },
      sources: {
        meta: { appSecret: META_SECRET, verifyToken: META_VERIFY, pages: { [META_PAGE]: { accessToken: 'EAAB-hostile' } } },
        google: { keys: [GOOGLE_KEY] },
        partners: { acme: { keyHashes: [PARTNER.hash], phoneCountry: 'DE', fieldMap: { seats: 'UF_CRM_SEATS' } } },
        // API only: LinkedIn reads are queued, never made, so the API URL is never called.
        linkedin: { clientId: 'hostile', clientSecret: LINKEDIN_SECRET, accessToken: 'AQV-hostile', apiUrl: 'http://127.0.0.1:9' },
        tiktok: { secret: TIKTOK_SECRET },
        webhooks: {
          tilda: { preset: 'tilda', token: HOOK_TOKEN },
          typeform: { preset: 'typeform', secret: TYPEFORM_SECRET },
          unbounce: { preset: 'unbounce', token: HOOK_TOKEN },
        },
      },
    } as never,
  });
  const connection = { url: stack.config.redis.url };
  const queues = [deliveryQueueName('main'), META_LEADS_QUEUE, LINKEDIN_LEADS_QUEUE].map((q) => new Queue(q, { connection, prefix: stack.prefix }));
  return {
    stack,
    port: Number(new URL(stack.api.url).port),
    async jobCount() {
      let total = 0;
      for (const queue of queues) for (const n of Object.values(await queue.getJobCounts())) total += n;
      return total;
    },
    async lead(id) {
      const job = await queues[0]!.getJob(id);
      if (!job) throw new Error(`no job ${id} in the delivery queue`);
      return readDeliverLeadJob(job.data as DeliverLeadJob, job.id).lead;
    },
    async waitingLeads() {
      const jobs = await queues[0]!.getJobs(['wait', 'prioritized', 'delayed']);
      return jobs.map((job) => readDeliverLeadJob(job.data as DeliverLeadJob, job.id).lead);
    },
    async stop() {
      for (const queue of queues) await queue.close();
      await stack.stop();
    },
  };
}

export interface HostileCase {
  name: string;
  request: RawRequest;
  /** The exact status, when the case pins it; otherwise any answer below 500 is fine. */
  status?: number | number[];
  /** The error code of a 4xx, when the case pins it. */
  error?: string;
}

/**
 * Sends one case and holds it to the bar: answered below 500 (or closed, for bytes that are not
 * HTTP), a JSON `{error}` body on every 4xx, within the documented request timeout, and nothing
 * queued when the request was refused.
 */
export async function expectSafe(h: HostileStack, c: HostileCase, options: { mayClose?: boolean } = {}): Promise<RawAnswer> {
  const before = await h.jobCount();
  const answer = await rawHttp(h.port, c.request, TIMEOUTS.requestTimeoutMs + 5_000);
  const context = `${c.name}: ${answer.status} ${answer.body.slice(0, 200)}`;
  if (answer.status === 0 && options.mayClose) return answer;
  expect({ context, ok: answer.status >= 200 && answer.status < 500 }).toEqual({ context, ok: true });
  if (answer.status >= 400) {
    expect({ context, type: answer.headers.get('content-type') ?? '' }).toEqual({ context, type: expect.stringContaining('application/json') });
    const body = JSON.parse(answer.body) as { error?: unknown };
    expect({ context, error: typeof body.error }).toEqual({ context, error: 'string' });
    if (c.error) expect({ context, error: body.error }).toEqual({ context, error: c.error });
  }
  if (c.status !== undefined) {
    const allowed = Array.isArray(c.status) ? c.status : [c.status];
    expect({ context, status: allowed.includes(answer.status) }).toEqual({ context, status: true });
  }
  expect(answer.ms).toBeLessThan(TIMEOUTS.requestTimeoutMs + 2_000);
  const refused = answer.status >= 400 || (answer.status === 303 && /[?&]error=/.test(answer.headers.get('location') ?? ''));
  if (refused) expect({ context, queued: (await h.jobCount()) - before }).toEqual({ context, queued: 0 });
  return answer;
}

export function json(method: string, path: string, body: unknown, headers: Array<[string, string]> = []): RawRequest {
  return { method, path, headers: [['Content-Type', 'application/json'], ...headers], body: typeof body === 'string' ? body : JSON.stringify(body) };
}

export function partnerAuth(): [string, string] {
  return ['Authorization', `Bearer ${PARTNER.key}`];
}

export function signedMeta(body: string | Buffer, headers: Array<[string, string]> = []): RawRequest {
  return { method: 'POST', path: '/v1/webhooks/meta', headers: [['Content-Type', 'application/json'], ['X-Hub-Signature-256', signMetaBody(body, META_SECRET)], ...headers], body };
}

/** A JSON value nested `depth` levels deep: `[[[…]]]` or `{"a":{"a":…}}`. */
export function nested(depth: number, kind: 'array' | 'object', inner = '1'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

export const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__', 'prototype'] as const;
