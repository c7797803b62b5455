import { UnrecoverableError, type Job } from 'bullmq';
import type { Lead } from '../../src/lead/lead';
import type { DeadLetter } from '../../src/queue/dead-letter-store';
import type { FetchMetaLeadJob } from '../../src/queue/jobs';
import { silentLogger } from '../../src/shared/logger';
import { Metrics } from '../../src/shared/metrics';
import type { GraphLead } from '../../src/sources/meta/graph-lead';
import { GraphAuthError, GraphRateLimitedError } from '../../src/clients/meta/graph-errors';
import { createFetchMetaLeadProcessor } from '../../src/worker/fetch-meta-lead';
import { PAGE_ID, PAGE_TOKEN, metaConfig } from './sources/source-configs';

const payload: FetchMetaLeadJob = { v: 1, notification: { leadgenId: '900', pageId: PAGE_ID, formId: '77' }, leadId: 'lg_m1abcdef0123456789abcdef', receivedAt: '2026-03-01T10:15:01.000Z' };
const graphLead: GraphLead = { id: '900', ad_id: '5', field_data: [{ name: 'email', values: ['joe@example.com'] }] };

function job(attemptsMade = 0, attempts = 5): Job<FetchMetaLeadJob> {
  return { data: payload, attemptsMade, opts: { attempts } } as unknown as Job<FetchMetaLeadJob>;
}

function setup(fetchLead: (id: string, token: string) => Promise<GraphLead>, overrides: Record<string, unknown> = {}) {
  const queued: Lead[] = [];
  const dead: DeadLetter[] = [];
  const statuses: string[] = [];
  const metrics = new Metrics();
  const processor = createFetchMetaLeadProcessor({
    meta: metaConfig(overrides),
    graph: { fetchLead },
    queue: { enqueue: async (lead) => void queued.push(lead) },
    ledger: {
      recordQueued: async () => void statuses.push('queued'),
      recordFailure: async (_id, _attempt, state) => void statuses.push(state.status),
      get: async () => undefined,
    },
    deadLetters: { claim: async () => 'claimed' as const, add: async (entry) => void dead.push(entry) },
    metrics,
    logger: silentLogger,
  });
  return { processor, queued, dead, statuses, metrics };
}

describe('fetch-meta-lead processor', () => {
  it('reads the lead with the Page token and queues it under the id chosen at receipt, every run', async () => {
    const tokens: string[] = [];
    const { processor, queued } = setup(async (_id, token) => {
      tokens.push(token);
      return graphLead;
    });
    expect(await processor(job())).toEqual({ leadId: payload.leadId, outcome: 'queued' });
    await processor(job());
    expect(tokens).toEqual([PAGE_TOKEN, PAGE_TOKEN]);
    expect(queued.map((l) => l.id)).toEqual([payload.leadId, payload.leadId]);
    expect(queued[0]).toMatchObject({ source: { kind: 'meta', name: PAGE_ID, externalId: '900' }, destination: 'main' });
  });

  it('dead-letters a permanent Graph error with a refetch note, counts it, and stops retrying', async () => {
    const { processor, dead, statuses, metrics } = setup(async () => {
      throw new GraphAuthError('Meta Page access token rejected (HTTP 400, code 190): issue a new token');
    });
    await expect(processor(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'META_AUTH', lead: { id: payload.leadId, fields: {} }, refetch: { stage: 'fetch-meta', job: payload } });
    expect(statuses).toEqual(['queued', 'dead']);
    expect(await metrics.registry.getSingleMetricAsString('leadgate_source_fetch_failures_total')).toContain('kind="auth"} 1');
  });

  it('rethrows a rate limit for a retry, and dead-letters it on the last attempt', async () => {
    const limited = new GraphRateLimitedError('Meta Graph API rate limit reached', {}, 60_000);
    const { processor, dead } = setup(async () => {
      throw limited;
    });
    await expect(processor(job(0, 3))).rejects.toBe(limited);
    expect(dead).toHaveLength(0);
    await expect(processor(job(2, 3))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(dead[0]?.reason).toMatch(/^gave up after 3 attempts: Meta Graph API rate limit reached/);
  });

  it('drops a test lead when configured to, without queueing it', async () => {
    const { processor, queued, metrics } = setup(async () => ({ id: '900', field_data: [] }), { testLeads: 'drop' });
    expect(await processor(job())).toEqual({ leadId: payload.leadId, outcome: 'dropped_test' });
    expect(queued).toHaveLength(0);
    expect(await metrics.registry.getSingleMetricAsString('leadgate_test_leads_dropped_total')).toContain('source="meta"} 1');
  });

  it('dead-letters a lead for a Page without a configured token, naming the setting', async () => {
    const { processor, dead } = setup(async () => graphLead, { pages: {} });
    await expect(processor(job())).rejects.toBeInstanceOf(UnrecoverableError);
    expect(dead[0]?.code).toBe('META_UNKNOWN_PAGE');
    expect(dead[0]?.reason).toContain(`sources.meta.pages.${PAGE_ID}.accessToken`);
  });
});
