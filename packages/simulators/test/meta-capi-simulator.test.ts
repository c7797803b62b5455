import { startMetaCapiSimulator, type MetaCapiSimulator } from '../src/meta-capi';

let capi: MetaCapiSimulator;
const DATASET = '555000111222333';
const now = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  capi = await startMetaCapiSimulator({ datasetId: DATASET, accessToken: 'tok' });
});
afterEach(() => capi.close());

function post(body: string, path = `/v25.0/${DATASET}/events`): Promise<Response> {
  return fetch(`${capi.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

const crmEvent = (over: Record<string, unknown> = {}) => ({
  event_name: 'Qualified', event_time: now() - 60, action_source: 'system_generated', event_id: 'e1',
  user_data: { lead_id: '__LEAD__' }, custom_data: { event_source: 'crm', lead_event_source: 'Bitrix24' }, ...over,
});
/** lead_id written as an unquoted 17-digit number, as Meta documents it. */
const body = (events: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ data: events, access_token: 'tok', ...extra }).replace(/"__LEAD__"/g, '12345678901234567');

describe('Meta Conversions API simulator', () => {
  it('takes CRM events and records the lead id digit-exact with the test_event_code', async () => {
    const res = await post(body([crmEvent()], { test_event_code: 'TEST1' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ events_received: 1, messages: [] });
    expect(capi.received()[0]).toMatchObject({ leadId: '12345678901234567', testEventCode: 'TEST1', event: { event_name: 'Qualified' } });
  });

  it('refuses the whole batch for one event older than 7 days (code 100, subcode 2804003)', async () => {
    const res = await post(body([crmEvent(), crmEvent({ event_time: now() - 8 * 86_400 })]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: Record<string, unknown> }).error).toMatchObject({ code: 100, error_subcode: 2804003, error_user_title: 'Event Timestamp Too Old' });
    expect(capi.received()).toEqual([]);
  });

  it('checks the documented CRM fields', async () => {
    const refused = async (event: Record<string, unknown>) => ((await (await post(body([event]))).json()) as { error: { error_user_msg: string } }).error.error_user_msg;
    expect(await refused(crmEvent({ custom_data: { event_source: 'web', lead_event_source: 'x' } }))).toMatch(/event_source must be "crm"/);
    expect(await refused(crmEvent({ custom_data: { event_source: 'crm' } }))).toMatch(/lead_event_source/);
    expect(await refused(crmEvent({ event_time: Date.now() }))).toMatch(/milliseconds/);
    expect(await refused(crmEvent({ action_source: 'crm' }))).toMatch(/action_source/);
    const quoted = JSON.stringify({ data: [crmEvent({ user_data: { lead_id: '12345678901234567' } })], access_token: 'tok' });
    expect(((await (await post(quoted)).json()) as { error: { error_user_msg: string } }).error.error_user_msg).toMatch(/not a string/);
    expect((await post(JSON.stringify({ data: Array.from({ length: 1001 }, () => crmEvent()), access_token: 'tok' }))).status).toBe(400);
  });

  it('answers Graph errors for a wrong token, an unknown dataset and injected faults', async () => {
    expect(((await (await post(JSON.stringify({ data: [], access_token: 'nope' }))).json()) as { error: { code: number } }).error.code).toBe(190);
    expect(((await (await post(body([crmEvent()]), '/v25.0/999/events')).json()) as { error: { error_subcode: number } }).error.error_subcode).toBe(33);
    capi.failNext({ status: 503, error: { message: 'Service temporarily unavailable', code: 2 } });
    expect((await post(body([crmEvent()]))).status).toBe(503);
    expect((await post(body([crmEvent()]))).status).toBe(200);
    expect(capi.requests().map((r) => r.status)).toEqual([400, 400, 503, 200]);
  });
});
