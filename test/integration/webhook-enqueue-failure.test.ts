import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import IORedis, { type Redis } from 'ioredis';
import { errorHandler } from '../../src/http/error-handler';
import { HttpError } from '../../src/http/http-error';
import type { Intake } from '../../src/http/intake';
import { googleWebhookRouter } from '../../src/http/routes/google-webhook';
import { metaWebhookRouter } from '../../src/http/routes/meta-webhook';
import type { Lead } from '../../src/lead/lead';
import type { FetchMetaLeadJob } from '../../src/queue/jobs';
import { SeenIds } from '../../src/queue/seen-ids';
import { silentLogger } from '../../src/shared/logger';
import { Metrics } from '../../src/shared/metrics';
import { buildWebhookBody, sendWebhook } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { metaConfig, googleConfig, PAGE_ID } from '../unit/sources/source-configs';

/**
 * When Redis does not take the job, the platform must be told to retry (503) and the lead id must
 * not be remembered, or the retry would be acknowledged and the lead lost.
 */
let redis: Redis;
let prefix: string;
let server: Server;
let url: string;
let seen: SeenIds;
let failNext = 0;
const metaJobs: FetchMetaLeadJob[] = [];
const leads: Lead[] = [];

beforeAll(async () => {
  redis = new IORedis(SHARED_REDIS_URL);
  prefix = uniquePrefix('webhook-enqueue-failure');
  seen = new SeenIds(redis, prefix);
  const metrics = new Metrics();
  // The intake with the spool off: what Redis does not take is refused with 503.
  const intake: Intake = {
    metrics,
    logger: silentLogger,
    canSpool: false,
    async accept(lead) {
      if (failNext > 0) {
        failNext -= 1;
        throw new HttpError(503, 'queue_unavailable', 'the lead could not be stored; please retry');
      }
      leads.push(lead);
      return 'queued';
    },
    acceptMany: async () => 'queued',
    async acceptFetchJobs(jobs: FetchMetaLeadJob[]) {
      if (failNext > 0) {
        failNext -= 1;
        throw new HttpError(503, 'queue_unavailable', 'the lead could not be stored; please retry');
      }
      metaJobs.push(...jobs);
      return 'queued';
    },
    acceptLinkedInJobs: async () => 'queued',
  };
  const app = express();
  app.use(metaWebhookRouter({ meta: metaConfig(), seen, intake, metrics, logger: silentLogger }));
  app.use(googleWebhookRouter({ google: googleConfig(), bodyLimit: '64kb', seen, intake }));
  app.use(errorHandler({ logger: silentLogger, metrics }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  redis.disconnect();
  await dropPrefix(prefix);
});

describe('a failed enqueue behind a webhook', () => {
  it('Meta: answers 503, forgets the leadgen_id, and takes the retry in', async () => {
    const body = buildWebhookBody([{ leadgenId: '1111111111111111111', pageId: PAGE_ID }, { leadgenId: '1111111111111111112', pageId: PAGE_ID }]);
    failNext = 1;
    const failed = await sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret');
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: 'queue_unavailable' });
    expect(await redis.exists(seen.key('meta', '1111111111111111111'), seen.key('meta', '1111111111111111112'))).toBe(0);
    expect(metaJobs).toHaveLength(0);

    const retried = await sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret');
    expect(retried.status).toBe(200);
    expect(await retried.json()).toEqual({ received: 2, queued: 2, duplicates: 0 });
    expect(metaJobs.map((j) => j.notification.leadgenId)).toEqual(['1111111111111111111', '1111111111111111112']);
    expect(await redis.get(seen.key('meta', '1111111111111111111'))).toBe('1');
    expect(await redis.ttl(seen.key('meta', '1111111111111111111'))).toBeGreaterThan(71 * 3600);
  });

  it('Meta: two deliveries of one lead racing each other both carry the same lead id (one job at BullMQ)', async () => {
    const body = buildWebhookBody([{ leadgenId: '2222222222222222222', pageId: PAGE_ID }]);
    const [a, b] = await Promise.all([sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret'), sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const raced = metaJobs.filter((j) => j.notification.leadgenId === '2222222222222222222');
    expect(raced.length).toBeGreaterThanOrEqual(1);
    expect(new Set(raced.map((j) => j.leadId)).size).toBe(1);
  });

  it('Meta: a repeat after the lead was queued is acknowledged and not queued again', async () => {
    const body = buildWebhookBody([{ leadgenId: '3333333333333333333', pageId: PAGE_ID }]);
    expect(await (await sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret')).json()).toEqual({ received: 1, queued: 1, duplicates: 0 });
    expect(await (await sendWebhook(`${url}/v1/webhooks/meta`, body, 'app-secret')).json()).toEqual({ received: 1, queued: 0, duplicates: 1 });
  });

  it('Google: answers 503 (Google retries 5xx), forgets the lead_id, and takes the retry in', async () => {
    const body = JSON.stringify({ lead_id: 'retry-me-1', google_key: 'test-google-key-0001', user_column_data: [{ column_id: 'EMAIL', string_value: 'a@example.com' }] });
    const post = (): Promise<Response> => fetch(`${url}/v1/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    failNext = 1;
    const failed = await post();
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ message: expect.any(String) });
    expect(await redis.exists(seen.key('google', 'retry-me-1'))).toBe(0);
    const retried = await post();
    expect(retried.status).toBe(200);
    expect(leads.map((l) => l.source.externalId)).toEqual(['retry-me-1']);
  });
});
