import schema from '../../schemas/config.schema.json';
import { buildConfig } from '../../src/config/load-config';
import { SEEN_TTL_SECONDS } from '../../src/queue/seen-ids';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startMetaSimulator, type MetaSimulator } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const APP_SECRET = 'backfill-app-secret';
const PAGE_A = '1111111111111111111';
const PAGE_B = '2222222222222222222';
const TOKEN_A = 'EAAB-backfill-a';
const TOKEN_B = 'EAAB-backfill-b';
const FORM_A = '7100000000000000001';
const FORM_B = '7200000000000000001';
/** 1.2 s between polls: the bar is "delivered within one poll interval". */
const INTERVAL_MINUTES = 0.02;

let meta: MetaSimulator;
let stack: Stack;
let nextId = 8000000000000000000n;
const newLeadId = () => String((nextId += 1n));

beforeAll(async () => {
  meta = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE_A]: TOKEN_A, [PAGE_B]: TOKEN_B } });
  meta.addForm({ id: FORM_A, page_id: PAGE_A, name: 'Test drive' });
  meta.addForm({ id: FORM_B, page_id: PAGE_B, name: 'Quote' });
  meta.addForm({ id: '7100000000000000009', page_id: PAGE_A, status: 'DRAFT' });
  stack = await startStack('meta-backfill', {
    overrides: {
      sources: {
        meta: {
          appSecret: APP_SECRET,
          appId: '1000000000000001',
          graphUrl: meta.graphUrl,
          graphTimeoutMs: 2000,
          pages: { [PAGE_A]: { accessToken: TOKEN_A }, [PAGE_B]: { accessToken: TOKEN_B } },
          backfill: { intervalMinutes: INTERVAL_MINUTES, lookbackHours: 24 },
        },
      },
    },
  });
});

afterAll(async () => {
  await stack.stop();
  await meta.close();
});

function leadsFor(leadgenId: string): number {
  return stack.sim.leads().filter((l) => String(l.fields.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`)).length;
}

function addLead(pageId: string, formId: string, hoursAgo = 0): string {
  const id = newLeadId();
  const created = new Date(Date.now() - hoursAgo * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+0000');
  meta.addLead({ id, page_id: pageId, form_id: formId, ad_id: '5', created_time: created, field_data: [{ name: 'email', values: [`l${id.slice(-4)}@example.com`] }] });
  return id;
}

/** Polls of a form (its `/leads` reads) so far: a test waits for later ones to prove nothing more comes. */
const pollsOf = (formId: string) => meta.graphCalls().filter((c) => c.path.endsWith(`/${formId}/leads`)).length;

async function afterTwoMorePolls(formId: string): Promise<void> {
  const seen = pollsOf(formId);
  await waitFor(() => pollsOf(formId) >= seen + 2, 'two more backfill polls', 20_000);
  await sleep(300);
}

async function webhook(leadgenId: string): Promise<{ queued: number; duplicates: number }> {
  const response = await meta.sendWebhook(`${stack.api.url}/v1/webhooks/meta`, [leadgenId]);
  expect(response.status).toBe(200);
  return (await response.json()) as { queued: number; duplicates: number };
}

describe('Meta backfill (sources.meta.backfill)', () => {
  it('delivers a lead whose webhook never came within a poll interval, and counts it', async () => {
    const id = addLead(PAGE_A, FORM_A);
    await waitFor(() => leadsFor(id) === 1, 'the backfilled lead in Bitrix24', 15_000);
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`leadgate_meta_backfilled_total\\{page="${PAGE_A}"\\} [1-9]`));
    // The listing asks for ids and time only; the answers are read by the fetch job, as for a webhook.
    const listing = meta.graphCalls().find((c) => c.path.endsWith(`/${FORM_A}/leads`));
    expect(listing?.fields).toEqual(['id', 'created_time', 'form_id', 'ad_id']);
  });

  it('delivers once a lead the webhook brought first: the poll finds it seen', async () => {
    const id = addLead(PAGE_B, FORM_B);
    expect(await webhook(id)).toMatchObject({ queued: 1, duplicates: 0 });
    await waitFor(() => leadsFor(id) === 1, 'the webhook lead in Bitrix24', 15_000);
    await afterTwoMorePolls(FORM_B);
    expect(leadsFor(id)).toBe(1);
  });

  it('delivers once a lead the poll found first: the late webhook is a duplicate', async () => {
    const id = addLead(PAGE_A, FORM_A);
    await waitFor(() => leadsFor(id) === 1, 'the backfilled lead in Bitrix24', 15_000);
    expect(await webhook(id)).toMatchObject({ queued: 0, duplicates: 1 });
    await afterTwoMorePolls(FORM_A);
    expect(leadsFor(id)).toBe(1);
  });

  it('delivers once when webhook and poll race for the same lead', async () => {
    const ids = [addLead(PAGE_A, FORM_A), addLead(PAGE_A, FORM_A), addLead(PAGE_A, FORM_A)];
    await Promise.all(ids.map((id) => webhook(id)));
    await waitFor(() => ids.every((id) => leadsFor(id) === 1), 'the raced leads in Bitrix24', 15_000);
    await afterTwoMorePolls(FORM_A);
    expect(ids.map(leadsFor)).toEqual([1, 1, 1]);
  });

  it('leaves leads older than the lookback alone', async () => {
    const old = addLead(PAGE_B, FORM_B, 30);
    await afterTwoMorePolls(FORM_B);
    expect(leadsFor(old)).toBe(0);
  });

  it('polls in one process at a time: a second worker finds the lock taken within the interval', async () => {
    const second: RunningLeadgate = await startLeadgate({ config: stack.config, role: 'worker', logger: silentLogger });
    try {
      const reports = await Promise.all([stack.api.metaWorker!.backfill!.pollNow(), second.metaWorker!.backfill!.pollNow()]);
      expect(reports.filter((r) => r.ran).length).toBeLessThanOrEqual(1);
    } finally {
      await second.stop();
    }
  });
});

describe('the lookback is covered by the dedup window', () => {
  const base = { redis: { url: 'redis://127.0.0.1:6379' }, destinations: { main: { webhookUrl: 'https://example.bitrix24.com/rest/1/abc/' } }, forms: {}, acceptAnyForm: true };
  const withBackfill = (lookbackHours: number) => ({ ...base, sources: { meta: { appSecret: 's', pages: {}, backfill: { intervalMinutes: 15, lookbackHours } } } });

  it('refuses a lookback longer than the seen-ids memory', () => {
    expect(() => buildConfig(withBackfill(73), {})).toThrow(/\/sources\/meta\/backfill\/lookbackHours: must be <= 72/);
    expect(buildConfig(withBackfill(72), {}).sources?.meta?.backfill).toEqual({ intervalMinutes: 15, lookbackHours: 72 });
  });

  it('the schema bound is the seen-ids memory itself', () => {
    const backfill = (schema as { definitions: { metaSource: { properties: { backfill: { properties: { lookbackHours: { maximum: number } } } } } } }).definitions.metaSource.properties.backfill;
    expect(backfill.properties.lookbackHours.maximum * 3600).toBe(SEEN_TTL_SECONDS);
  });

  it('is off unless set', () => {
    expect(buildConfig({ ...base, sources: { meta: { appSecret: 's', pages: {} } } }, {}).sources?.meta?.backfill).toBeUndefined();
  });
});
