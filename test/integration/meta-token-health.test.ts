import { Queue } from 'bullmq';
import type { Config } from '../../src/config/config';
import { buildConfig } from '../../src/config/load-config';
import { META_LEADS_QUEUE } from '../../src/queue/jobs';
import { openDeadLetters, startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startMetaSimulator, type MetaSimulator } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

const APP_SECRET = 'token-health-secret';
const P_OK = '3100000000000000001';
const P_SOON = '3200000000000000002';
const P_DEAD = '3300000000000000003';
const P_NOSCOPE = '3400000000000000004';
const TOKENS = { [P_OK]: 'EAAB-ok', [P_SOON]: 'EAAB-soon', [P_DEAD]: 'EAAB-dead', [P_NOSCOPE]: 'EAAB-noscope' };
const IN_3_DAYS = Math.floor(Date.now() / 1000) + 3 * 86400;

let meta: MetaSimulator;
let stack: Stack;
let worker: RunningLeadgate;

interface PageStatus { status: string; paused: boolean; reason?: string; expiresAt?: string }
interface Readyz { status: string; meta?: { pages: Record<string, PageStatus> } }

function configWith(tokens: Record<string, string>): Record<string, unknown> {
  return {
    sources: {
      meta: {
        appSecret: APP_SECRET,
        appId: '1000000000000001',
        graphUrl: meta.graphUrl,
        graphTimeoutMs: 2000,
        pages: Object.fromEntries(Object.entries(tokens).map(([page, accessToken]) => [page, { accessToken }])),
        tokenHealth: { pausedRecheckMinutes: 0.02 },
      },
    },
  };
}

const readyz = async (): Promise<Readyz> => (await fetch(`${stack.api.url}/readyz`)).json() as Promise<Readyz>;
const leadsFor = (leadgenId: string) => stack.sim.leads().filter((l) => String(l.fields.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`)).length;

beforeAll(async () => {
  meta = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: TOKENS });
  meta.setTokenInfo(TOKENS[P_SOON]!, { expiresAt: IN_3_DAYS });
  meta.setTokenInfo(TOKENS[P_NOSCOPE]!, { scopes: ['pages_show_list', 'pages_read_engagement'] });
  // The API alone: what it shows in /readyz and /metrics the worker process found.
  stack = await startStack('meta-token-health', { role: 'api', overrides: configWith(TOKENS) });
  worker = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
});

afterAll(async () => {
  await worker.stop();
  await stack.stop();
  await meta.close();
});

describe('Meta Page-token health', () => {
  it("shows a token expiring in 3 days and one without leads_retrieval in the API's /readyz and /metrics, page by page", async () => {
    const ready = await waitFor(async () => {
      const body = await readyz();
      return body.meta?.pages[P_SOON]?.status === 'expiring' && body.meta.pages[P_NOSCOPE]?.status === 'missing_permission' ? body : undefined;
    }, 'the token verdicts', 10_000);
    expect(ready.status).toBe('degraded');
    expect(ready.meta?.pages[P_OK]).toMatchObject({ status: 'ok', paused: false });
    expect(ready.meta?.pages[P_SOON]).toMatchObject({ paused: false, expiresAt: new Date(IN_3_DAYS * 1000).toISOString() });
    expect(ready.meta?.pages[P_SOON]?.reason).toMatch(new RegExp(`Page token of ${P_SOON} expires at .* \\(in 3\\.0 days\\): issue a new long-lived Page access token.*sources\\.meta\\.pages\\.${P_SOON}\\.accessToken`));
    expect(ready.meta?.pages[P_NOSCOPE]?.reason).toMatch(/no leads_retrieval/);
    expect(JSON.stringify(ready)).not.toContain('EAAB-');

    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toContain(`leadgate_meta_token_ok{page="${P_OK}"} 1`);
    expect(metrics).toContain(`leadgate_meta_token_ok{page="${P_SOON}"} 0`);
    expect(metrics).toContain(`leadgate_meta_token_expiry_seconds{page="${P_OK}"} +Inf`);
    const soon = Number(new RegExp(`leadgate_meta_token_expiry_seconds\\{page="${P_SOON}"\\} ([0-9.]+)`).exec(metrics)?.[1]);
    expect(soon).toBeGreaterThan(2.9 * 86400);
    expect(soon).toBeLessThanOrEqual(3 * 86400);
    // The check asked debug_token with the app token, as the reference says.
    expect(meta.graphCalls().find((c) => c.path.endsWith('/debug_token'))?.accessToken).toBe(meta.appToken);
  });

  it("pauses reads of a Page whose token died (no dead letter) while another Page keeps flowing, and says why", async () => {
    meta.expireToken(TOKENS[P_DEAD]!);
    meta.addLead({ id: '9300000000000000001', page_id: P_DEAD, ad_id: '1', field_data: [{ name: 'email', values: ['dead@example.com'] }] });
    meta.addLead({ id: '9100000000000000001', page_id: P_OK, ad_id: '1', field_data: [{ name: 'email', values: ['ok@example.com'] }] });
    await meta.sendWebhook(`${stack.api.url}/v1/webhooks/meta`, ['9300000000000000001', '9100000000000000001']);

    await waitFor(() => leadsFor('9100000000000000001') === 1, 'the healthy Page lead in Bitrix24', 10_000);
    const ready = await waitFor(async () => {
      const body = await readyz();
      return body.meta?.pages[P_DEAD]?.paused ? body : undefined;
    }, 'the dead Page in /readyz', 10_000);
    expect(ready.meta?.pages[P_DEAD]).toMatchObject({ status: expect.stringMatching(/^(expired|invalid)$/), paused: true });
    expect(ready.meta?.pages[P_DEAD]?.reason).toMatch(new RegExp(`reads of this Page wait: .*sources\\.meta\\.pages\\.${P_DEAD}\\.accessToken and restart the workers`));

    const queue = new Queue(META_LEADS_QUEUE, { connection: { url: (stack.config.redis as { url: string }).url }, prefix: stack.prefix });
    try {
      const job = await queue.getJob('meta-9300000000000000001');
      expect(['delayed', 'waiting', 'active']).toContain(await job?.getState());
      expect(job?.attemptsMade).toBe(0);
    } finally {
      await queue.close();
    }
    const { dlq, close } = await openDeadLetters(stack.config);
    expect((await dlq.list()).find((e) => e.lead.source.externalId === '9300000000000000001')).toBeUndefined();
    await close();
    expect(leadsFor('9300000000000000001')).toBe(0);
  });

  it('resumes the waiting reads once the token is replaced (restart with the new config)', async () => {
    meta.setPageToken(P_DEAD, 'EAAB-dead-renewed');
    const renewed = buildConfig(
      { ...(structuredClone(stack.config) as Config), ...configWith({ ...TOKENS, [P_DEAD]: 'EAAB-dead-renewed' }) } as unknown as Record<string, unknown>,
      {},
    );
    await worker.stop();
    worker = await startLeadgate({ config: renewed, role: 'worker', logger: silentLogger });
    await waitFor(() => leadsFor('9300000000000000001') === 1, 'the waiting lead delivered after the token was replaced', 15_000);
    const workerReady = (await (await fetch(`${worker.url}/readyz`)).json()) as Readyz;
    expect(workerReady.meta?.pages[P_DEAD]).toMatchObject({ status: 'ok', paused: false });
  });
});
