import { Queue } from 'bullmq';
import { startMetaCapiSimulator, startMetaSimulator, type MetaCapiSimulator, type MetaSimulator } from '@leadgate/simulators';
import { runConversionsCommand } from '../../src/cli/conversions';
import { CRM_READS_QUEUE } from '../../src/queue/conversion-jobs';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const APP_SECRET = 'meta-app-secret';
const PAGE = '1234567890123456789';
const PAGE_TOKEN = 'EAAB-page-token';
const DATASET = '555000111222333';
const CAPI_TOKEN = 'EAAB-capi-system-user';
const APP_TOKEN = 'b24-application-token-1';

let meta: MetaSimulator;
let capi: MetaCapiSimulator;
let stack: Stack;
let eventsUrl: string;

beforeAll(async () => {
  meta = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE]: PAGE_TOKEN } });
  capi = await startMetaCapiSimulator({ datasetId: DATASET, accessToken: CAPI_TOKEN });
  stack = await startStack('conversions-meta', {
    overrides: {
      sources: { meta: { appSecret: APP_SECRET, verifyToken: 'verify', graphUrl: meta.graphUrl, pages: { [PAGE]: { accessToken: PAGE_TOKEN } } } },
      conversions: {
        destinations: { main: { applicationToken: APP_TOKEN, sweepIntervalSeconds: 0 } },
        leadStatuses: { NEW: { meta: 'Lead' }, IN_PROCESS: { meta: 'Qualified' }, PROCESSED: { meta: 'Qualified' } },
        dealStages: { WON: { meta: 'Converted' } },
        meta: { datasetId: DATASET, accessToken: CAPI_TOKEN, graphUrl: capi.graphUrl, lingerMs: 30, testEventCode: 'TEST4242' },
      },
    },
  });
  eventsUrl = `${stack.api.url}/v1/webhooks/bitrix24/main`;
  stack.sim.subscribeEvents({ url: eventsUrl, applicationToken: APP_TOKEN });
});

afterAll(async () => {
  await stack.stop();
  await meta.close();
  await capi.close();
});

/** A Lead Ads lead through the webhook, delivered to the simulated portal: its Bitrix24 id and leadgate id. */
async function metaLead(leadgenId: string): Promise<{ b24Id: number; leadId: string }> {
  meta.addLead({ id: leadgenId, page_id: PAGE, form_id: '7000000000000001', field_data: [{ name: 'full_name', values: ['Anna Schmidt'] }, { name: 'email', values: ['anna@example.com'] }] });
  expect((await meta.sendWebhook(`${stack.api.url}/v1/webhooks/meta`, [leadgenId])).status).toBe(200);
  const lead = await waitFor(() => stack.sim.leads().find((l) => String(l.fields.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`)), 'the lead in Bitrix24');
  return { b24Id: lead.ID, leadId: String(lead.fields.ORIGIN_ID) };
}

const eventsFor = (leadgenId: string) => capi.received().filter((r) => r.leadId === leadgenId);

async function leadView(leadId: string): Promise<{ conversions: Array<{ platform: string; eventName: string; status: string; stage: { stageId: string; at: string }; error?: string }> }> {
  const res = await fetch(`${stack.api.url}/v1/leads/${leadId}`, { headers: { authorization: 'Bearer admin-secret' } });
  expect(res.status).toBe(200);
  return res.json() as Promise<never>;
}

async function readJobs(): Promise<number> {
  const queue = new Queue(CRM_READS_QUEUE, { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('Bitrix24 stage changes → Meta Conversions API (CRM events)', () => {
  it('sends every mapped stage once, the first included, with the stage time, the Meta lead id and the CRM fields', async () => {
    const leadgenId = '1234567890123456';
    const { b24Id, leadId } = await metaLead(leadgenId);
    await waitFor(() => eventsFor(leadgenId).length === 1, 'the Lead event (ONCRMLEADADD)');

    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    await waitFor(() => eventsFor(leadgenId).length === 2, 'the Qualified event');
    // Back and forth, and a second status naming the same event: Meta hears "Qualified" once.
    stack.sim.moveStage('lead', b24Id, 'NEW');
    stack.sim.moveStage('lead', b24Id, 'PROCESSED');
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    // Converted into a deal (ONCRMDEALADD), which is won: the same funnel goes on.
    stack.sim.moveStage('lead', b24Id, 'CONVERTED');
    const deal = await waitFor(() => stack.sim.crmRecords('deal').find((d) => d.LEAD_ID === String(b24Id)), 'the deal');
    stack.sim.moveStage('deal', Number(deal.ID), 'WON');
    await waitFor(() => eventsFor(leadgenId).length === 3, 'the Converted event');
    await stack.sim.eventsSettled();
    await sleep(300);

    const events = eventsFor(leadgenId);
    expect(events.map((e) => e.event.event_name)).toEqual(['Lead', 'Qualified', 'Converted']);
    const history = stack.sim.stageHistory();
    const timeOf = (owner: number, stage: string, key: 'STATUS_ID' | 'STAGE_ID') => Math.floor(Date.parse(history.find((h) => h.OWNER_ID === String(owner) && h[key] === stage)!.CREATED_TIME) / 1000);
    expect(events[1]!.event.event_time).toBe(timeOf(b24Id, 'IN_PROCESS', 'STATUS_ID'));
    expect(events[2]!.event.event_time).toBe(timeOf(Number(deal.ID), 'WON', 'STAGE_ID'));
    for (const { event, testEventCode } of events) {
      expect(event).toMatchObject({ action_source: 'system_generated', custom_data: { event_source: 'crm', lead_event_source: 'Bitrix24' } });
      expect(testEventCode).toBe('TEST4242');
    }
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(3);

    const view = await leadView(leadId);
    expect(view.conversions.map((c) => [c.platform, c.eventName, c.status, c.stage.stageId])).toEqual([
      ['meta', 'Lead', 'sent', 'NEW'],
      ['meta', 'Qualified', 'sent', 'IN_PROCESS'],
      ['meta', 'Converted', 'sent', 'WON'],
    ]);
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_conversions_sent_total\{platform="meta",event="Qualified"\} 1/);
    // The loop's backlog, read from Redis when scraped: every send done, nothing waiting.
    expect(metrics).toMatch(/leadgate_conversion_jobs\{platform="meta",state="wait"\} 0/);
    expect(metrics).toMatch(/leadgate_conversion_jobs\{platform="bitrix24",state="wait"\} \d+/);
  }, 30_000);

  it('refuses an event without the portal\'s application token (401) and queues nothing', async () => {
    const before = await readJobs();
    const post = (body: string, type = 'application/x-www-form-urlencoded') => fetch(eventsUrl, { method: 'POST', headers: { 'content-type': type }, body });
    const wrong = await post('event=ONCRMLEADUPDATE&data%5BFIELDS%5D%5BID%5D=1&auth%5Bapplication_token%5D=not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_application_token' });
    expect((await post('event=ONCRMLEADUPDATE&data%5BFIELDS%5D%5BID%5D=1')).status).toBe(401);
    expect((await post(`event=ONCRMLEADUPDATE&data%5BFIELDS%5D%5BID%5D=abc&auth%5Bapplication_token%5D=${APP_TOKEN}`)).status).toBe(400);
    expect((await post(JSON.stringify({ event: 'ONCRMLEADUPDATE' }), 'application/json')).status).toBe(415);
    expect((await fetch(`${stack.api.url}/v1/webhooks/bitrix24/elsewhere`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'event=x' })).status).toBe(404);
    const ignored = await post(`event=ONCRMCONTACTADD&data%5BFIELDS%5D%5BID%5D=1&auth%5Bapplication_token%5D=${APP_TOKEN}`);
    expect(ignored.status).toBe(200);
    expect(await readJobs()).toBe(before);
  });

  it('expires a stage older than Meta\'s 7 days visibly (status, metric) and never sends or retries it', async () => {
    const leadgenId = '1234567890123457';
    const { b24Id, leadId } = await metaLead(leadgenId);
    await waitFor(() => eventsFor(leadgenId).length === 1, 'the Lead event');
    const requestsBefore = capi.requests().length;
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS', { at: Date.now() - 8 * 86_400_000 });
    const expired = await waitFor(async () => (await leadView(leadId)).conversions.find((c) => c.eventName === 'Qualified' && c.status === 'expired'), 'the expired conversion');
    expect(expired.error).toMatch(/7 days/);
    await sleep(300);
    expect(capi.requests().length).toBe(requestsBefore);
    expect(eventsFor(leadgenId)).toHaveLength(1);
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_conversions_expired_total\{platform="meta",event="Qualified"\} 1/);
  }, 20_000);

  it('retries a transient Meta failure and sends the event once', async () => {
    const leadgenId = '1234567890123458';
    capi.failNext({ status: 500, error: { message: 'An unexpected error has occurred. Please retry your request later.', code: 2 }, count: 2 });
    await metaLead(leadgenId);
    await waitFor(() => eventsFor(leadgenId).length === 1, 'the Lead event after two failures');
    await sleep(300);
    expect(eventsFor(leadgenId)).toHaveLength(1);
  }, 20_000);

  it('dead-letters an event Meta refuses with Meta\'s reason, and sends it once when replayed', async () => {
    const leadgenId = '1234567890123459';
    capi.failNext({ status: 400, error: { message: 'Invalid OAuth access token - Cannot parse access token', code: 190 } });
    const { leadId } = await metaLead(leadgenId);
    const dead = await waitFor(async () => (await leadView(leadId)).conversions.find((c) => c.status === 'dead'), 'the dead conversion');
    expect(dead.error).toMatch(/conversions.meta.accessToken/);
    const listed: string[] = [];
    await runConversionsCommand(stack.config, { action: 'dlq-list' }, (l) => listed.push(l));
    const line = listed.find((l) => l.includes(leadId));
    expect(line).toMatch(/META_AUTH_190\tmeta "Lead"/);
    await runConversionsCommand(stack.config, { action: 'dlq-replay', id: line!.split('\t')[0]!, all: false }, () => undefined);
    await waitFor(() => eventsFor(leadgenId).length === 1, 'the replayed event');
    await waitFor(async () => (await leadView(leadId)).conversions.every((c) => c.status === 'sent'), 'status sent');
    await runConversionsCommand(stack.config, { action: 'dlq-replay', id: line!.split('\t')[0]!, all: false }, () => undefined);
    await sleep(300);
    expect(eventsFor(leadgenId)).toHaveLength(1);
  }, 20_000);
});
