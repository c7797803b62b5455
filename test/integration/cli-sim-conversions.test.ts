/**
 * `leadgate sim meta-capi`, `leadgate sim google` and `leadgate dev` as a user runs them (their own OS
 * process): the printed settings work against the simulators, and `leadgate dev` closes the conversion
 * loop on its own: a lead moved through its stages in the simulated portal reaches the Meta and Google
 * simulators once per stage.
 */
import type { ChildProcess } from 'node:child_process';
import { parse } from 'yaml';
import { freePort } from '../../src/runtime/private-redis';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { sleep, waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

const running: ChildProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill('SIGTERM');
    await exited(child);
  }
});

function start(args: string[], env: NodeJS.ProcessEnv = {}): { output: () => string } {
  const child = spawnLeadgate(args, { captureStdout: true, env });
  running.push(child);
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return { output: () => stdout };
}

const getJson = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;
const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('leadgate sim meta-capi', () => {
  it('takes CRM events with the dataset and token it printed, shows them at /_sim/events, and fails on demand', async () => {
    const port = await freePort();
    const sim = start(['sim', 'meta-capi', '--port', String(port), '--dataset-id', '777000111', '--access-token', 'EAAB-cli']);
    const line = await waitFor(() => /meta: (\{.*\})/.exec(sim.output())?.[1], 'the printed conversions.meta settings', 20_000, 50);
    const settings = parse(line) as { datasetId: string; accessToken: string; graphUrl: string };
    expect(settings).toEqual({ datasetId: '777000111', accessToken: 'EAAB-cli', graphUrl: `http://127.0.0.1:${port}` });
    const event = {
      event_name: 'Qualified', event_time: Math.floor(Date.now() / 1000), action_source: 'system_generated', event_id: 'e-1',
      user_data: { lead_id: 1234567890123456 }, custom_data: { event_source: 'crm', lead_event_source: 'Bitrix24' },
    };
    const events = `${settings.graphUrl}/v25.0/${settings.datasetId}/events`;
    expect(await (await postJson(events, { access_token: settings.accessToken, data: [event] })).json()).toMatchObject({ events_received: 1 });
    expect(await getJson(`http://127.0.0.1:${port}/_sim/events`)).toMatchObject([{ event: { event_name: 'Qualified', event_id: 'e-1' }, leadId: '1234567890123456' }]);

    expect((await postJson(`http://127.0.0.1:${port}/_sim/faults`, { status: 500, error: { message: 'Please retry', code: 2 } })).status).toBe(200);
    expect((await postJson(events, { access_token: settings.accessToken, data: [event] })).status).toBe(500);
    expect((await postJson(`http://127.0.0.1:${port}/_sim/faults`, { status: 'x' })).status).toBe(400);
    await postJson(`http://127.0.0.1:${port}/_sim/reset`, {});
    expect(await getJson(`http://127.0.0.1:${port}/_sim/events`)).toEqual([]);
  });
});

describe('leadgate sim google', () => {
  it('prints a service account and conversion actions that leadgate\'s settings accept, and shows what was ingested', async () => {
    const port = await freePort();
    const sim = start(['sim', 'google', '--port', String(port), '--conversion-action', 'Sale:555']);
    const printed = await waitFor(() => (sim.output().includes('forget all') ? sim.output() : undefined), 'the printed settings', 20_000, 50);
    const block = printed.slice(printed.indexOf('  google:'), printed.indexOf('\n\n', printed.indexOf('  google:')));
    const { google } = parse(block) as { google: { customerId: string; ingestUrl: string; conversionActions: Record<string, string>; serviceAccount: { clientEmail: string; tokenUrl: string; privateKey: string } } };
    expect(google).toMatchObject({ customerId: '1234567890', ingestUrl: `http://127.0.0.1:${port}/v1/events:ingest`, conversionActions: { Sale: '555' } });
    expect(google.serviceAccount.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(await getJson(`http://127.0.0.1:${port}/_sim/ingested`)).toEqual([]);
    expect((await postJson(`http://127.0.0.1:${port}/_sim/faults`, { status: 503, error: { code: 503, message: 'down', status: 'UNAVAILABLE' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/_sim/nothing`)).status).toBe(404);
  });
});

describe('leadgate dev', () => {
  const prefix = uniquePrefix('cli-dev');
  afterAll(() => dropPrefix(prefix));

  it('closes the conversion loop (stage changes in the simulated portal reach the Meta and Google simulators once each), and takes LinkedIn and Turnstile-protected leads through their simulators', async () => {
    const [api, b24, metaSim, capiSim, googleSim, linkedinSim, captchaSim] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const dev = start(['dev', '--port', String(api), '--sim-port', String(b24), '--meta-sim-port', String(metaSim), '--capi-sim-port', String(capiSim), '--google-sim-port', String(googleSim), '--linkedin-sim-port', String(linkedinSim!), '--captcha-sim-port', String(captchaSim!)], {
      REDIS_URL: SHARED_REDIS_URL, LEADGATE_PREFIX: prefix, ADMIN_TOKEN: 'dev-admin', BITRIX24_WEBHOOK_URL: '',
    });
    await waitFor(() => dev.output().includes('Ctrl-C stops everything'), 'leadgate dev to start', 40_000, 100);
    expect(dev.output()).toContain('Close the loop');
    const base = `http://127.0.0.1:${api}`;
    const b24Url = `http://127.0.0.1:${b24}`;

    // A form lead from a Google ad, qualified, converted, its deal won.
    const res = await postJson(`${base}/v1/forms/contact`, { name: 'Gina Click', email: 'gina@example.com', gclid: 'Cj0KCQ-dev-spec' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    type SimLead = { ID: number; fields: Record<string, unknown> };
    const lead = await waitFor(async () => (await getJson<SimLead[]>(`${b24Url}/_sim/leads`)).find((l) => l.fields.ORIGIN_ID === id), 'the lead in the simulated portal');
    const stage = (entity: string, crmId: number, stageId: string) => postJson(`${b24Url}/_sim/stage`, { entity, id: crmId, stageId });
    await stage('lead', lead.ID, 'IN_PROCESS');
    await stage('lead', lead.ID, 'CONVERTED');
    const deal = await waitFor(async () => (await getJson<Array<{ ID: string; LEAD_ID: string }>>(`${b24Url}/_sim/deals`)).find((d) => d.LEAD_ID === String(lead.ID)), 'the deal');
    await stage('deal', Number(deal.ID), 'WON');

    // A Meta lead ads lead: "Lead" as soon as it is in Bitrix24.
    const leadgenId = '1000000000000777';
    await postJson(`http://127.0.0.1:${metaSim}/_sim/leads`, { id: leadgenId, page_id: '1234567890', field_data: [{ name: 'email', values: ['joe@example.com'] }] });
    await postJson(`http://127.0.0.1:${metaSim}/_sim/webhooks`, { targetUrl: `${base}/v1/webhooks/meta`, notifications: [leadgenId] });

    type Ingested = { productDestinationId: string; event: { adIdentifiers: { gclid?: string }; transactionId: string } };
    const ingested = await waitFor(async () => {
      const all = (await getJson<Ingested[]>(`http://127.0.0.1:${googleSim}/_sim/ingested`)).filter((e) => e.event.adIdentifiers.gclid === 'Cj0KCQ-dev-spec');
      return all.length >= 2 ? all : undefined;
    }, 'Qualified lead and Sale at the Google simulator', 30_000, 200);
    expect(ingested.map((e) => e.productDestinationId).sort()).toEqual(['987654321', '987654322']);
    const metaEvents = await waitFor(async () => {
      const all = (await getJson<Array<{ leadId: string; event: { event_name: string } }>>(`http://127.0.0.1:${capiSim}/_sim/events`)).filter((e) => e.leadId === leadgenId);
      return all.length >= 1 ? all : undefined;
    }, 'the Lead event at the Meta CAPI simulator', 30_000, 200);
    expect(metaEvents.map((e) => e.event.event_name)).toEqual(['Lead']);

    // Once each: nothing more arrives once the loop is quiet.
    await sleep(1000);
    expect((await getJson<Ingested[]>(`http://127.0.0.1:${googleSim}/_sim/ingested`)).filter((e) => e.event.adIdentifiers.gclid === 'Cj0KCQ-dev-spec')).toHaveLength(2);
    expect(new Set(ingested.map((e) => e.event.transactionId)).size).toBe(2);
    const record = await (await fetch(`${base}/v1/leads/${id}`, { headers: { authorization: 'Bearer dev-admin' } })).json() as { conversions: Array<{ platform: string; eventName: string; status: string }> };
    expect(record.conversions.map((c) => [c.platform, c.eventName, c.status])).toEqual([['google', 'Qualified lead', 'sent'], ['google', 'Sale', 'sent']]);

    // LinkedIn as the banner shows it: the webhook validated at start, a response added and its signed notification sent by curl.
    expect(dev.output()).toContain('webhook validation passed');
    const linkedinUrl = `http://127.0.0.1:${linkedinSim}`;
    expect((await postJson(`${linkedinUrl}/_sim/responses`, { id: 'dev-spec-response', formId: 5765977, answers: [{ questionId: 1, text: 'Lin' }, { questionId: 3, text: 'lin.spec@example.com' }] })).status).toBe(201);
    const notified = (await (await postJson(`${linkedinUrl}/_sim/notifications`, { targetUrl: `${base}/v1/webhooks/linkedin`, responseId: 'dev-spec-response' })).json()) as { status: number; answer: { status: string } };
    expect(notified).toMatchObject({ status: 200, answer: { status: 'queued' } });
    await waitFor(async () => (await getJson<SimLead[]>(`${b24Url}/_sim/leads`)).some((l) => JSON.stringify(l.fields.EMAIL ?? '').includes('lin.spec@example.com')), 'the LinkedIn lead in the simulated portal', 30_000, 200);

    // The Turnstile-protected form: a token solved at the CAPTCHA simulator passes once.
    const { token } = (await (await postJson(`http://127.0.0.1:${captchaSim}/_sim/tokens`, { provider: 'turnstile' })).json()) as { token: string };
    const protectedForm = `${base}/v1/forms/captcha-demo`;
    expect((await postJson(protectedForm, { email: 'cap@example.com', 'cf-turnstile-response': token })).status).toBe(202);
    expect((await postJson(protectedForm, { email: 'cap@example.com', 'cf-turnstile-response': token })).status).toBe(422);
    expect((await postJson(protectedForm, { email: 'cap@example.com' })).status).toBe(422);
  });
});
