import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const KEY = 'test-google-key-0001';
const fixture = (name: string): string => readFileSync(join(__dirname, '../fixtures/google', name), 'utf8');
/** The raw text is sent as is: parsing it in the test would round the 19-digit ids before leadgate sees them. */
const withLeadId = (text: string, leadId: string): string => text.replace(/"lead_id": "[^"]+"/, `"lead_id": "${leadId}"`);

let stack: Stack;
let url: string;

beforeAll(async () => {
  stack = await startStack('google-webhook', {
    overrides: { sources: { google: { keys: ['rotated-out-key-0000', KEY], columnMap: { VEHICLE_MODEL: 'UF_CRM_MODEL' } } } },
  });
  url = `${stack.api.url}/v1/webhooks/google`;
});

afterAll(async () => {
  await stack.stop();
});

function post(body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

function leadsWith(googleLeadId: string): Array<Record<string, unknown>> {
  return stack.sim.leads().map((l) => l.fields).filter((f) => String(f.COMMENTS ?? '').includes(`google_lead_id: ${googleLeadId}`));
}

async function queuedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('Google Ads lead form webhook', () => {
  it('accepts Google\'s "send test data" payload with 200 {} and delivers it marked [TEST]', async () => {
    const response = await post(fixture('send-test-data.json'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const [fields] = await waitFor(() => {
      const found = leadsWith('TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl');
      return found.length > 0 ? found : undefined;
    }, 'the test lead');
    expect(fields).toMatchObject({
      NAME: 'FirstName',
      LAST_NAME: 'LastName',
      EMAIL: [{ VALUE: 'test@example.com', VALUE_TYPE: 'WORK' }],
      PHONE: [{ VALUE: '+16505550123', VALUE_TYPE: 'WORK' }],
      ADDRESS_POSTAL_CODE: '94043',
      SOURCE_ID: 'ADVERTISING',
      UTM_SOURCE: 'google',
      UTM_MEDIUM: 'cpc',
      UTM_CAMPAIGN: '991214827',
    });
    expect(String(fields?.TITLE)).toMatch(/^\[TEST\] Google Ads lead: FirstName LastName/);
    expect(fields?.COMMENTS).toContain('gclid: TeSter-123-');
  });

  it('keeps every digit of 19-digit ids (sent as JSON numbers) and accepts the Google_key spelling', async () => {
    const response = await post(withLeadId(fixture('send-test-data-19-digit-Google_key.json'), 'big-ids-1'));
    expect(response.status).toBe(200);
    const [fields] = await waitFor(() => (leadsWith('big-ids-1').length > 0 ? leadsWith('big-ids-1') : undefined), 'the lead');
    const comments = String(fields?.COMMENTS);
    expect(comments).toContain('google_form_id: 1234567890123456789');
    expect(comments).toContain('google_campaign_id: 9223372036854775807');
    expect(comments).toContain('google_adgroup_id: 9007199254740993');
    expect(comments).toContain('google_creative_id: 1000000000000000001');
    expect(comments).toContain('google_asset_group_id: 9223372036854775806');
    expect(comments).toContain('what is your timeline?: Within a month');
    expect(fields).toMatchObject({ UTM_CAMPAIGN: '9223372036854775807', UF_CRM_MODEL: 'Civic' });
  });

  it('refuses a wrong or missing key with 403 {message} and queues nothing', async () => {
    const before = await queuedJobs();
    const wrong = await post(withLeadId(fixture('send-test-data.json'), 'wrong-key-1').replace(KEY, 'guessed-key-1234'));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_key', message: expect.any(String) });
    const missing = await post('{"lead_id":"no-key-1","user_column_data":[],"form_id":1,"campaign_id":2,"google_key":""}');
    expect(missing.status).toBe(403);
    await sleep(100);
    expect(await queuedJobs()).toBe(before);
    expect(leadsWith('wrong-key-1')).toHaveLength(0);

    // A refused call does not mark the lead_id: Google's genuine delivery is still taken in.
    expect((await post(withLeadId(fixture('send-test-data.json'), 'wrong-key-1'))).status).toBe(200);
    await waitFor(() => leadsWith('wrong-key-1').length === 1, 'the genuine lead');
  });

  it('answers a malformed body with 400 {message}', async () => {
    const response = await post('{"user_column_data": "nope"}');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'malformed_lead', message: expect.stringContaining('lead_id') });
  });

  it('acknowledges a repeated lead_id with 200 {} and creates no second lead', async () => {
    const body = withLeadId(fixture('send-test-data.json'), 'repeat-1');
    expect((await post(body)).status).toBe(200);
    await waitFor(() => leadsWith('repeat-1').length === 1, 'the first delivery');
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({});
    await sleep(300);
    expect(leadsWith('repeat-1')).toHaveLength(1);
    expect(await (await fetch(`${stack.api.url}/metrics`)).text()).toMatch(/leadgate_webhook_duplicates_total\{source="google"\} 1/);
  });
});

describe('Google Ads lead form webhook, configured to drop test leads', () => {
  it('answers 200 {} and delivers nothing for is_test leads', async () => {
    const dropping = await startStack('google-drop', { overrides: { sources: { google: { keys: [KEY], testLeads: 'drop' } } } });
    try {
      const response = await fetch(`${dropping.api.url}/v1/webhooks/google`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixture('send-test-data.json') });
      expect(response.status).toBe(200);
      await sleep(200);
      expect(dropping.sim.leads()).toHaveLength(0);
      expect(await (await fetch(`${dropping.api.url}/metrics`)).text()).toMatch(/leadgate_test_leads_dropped_total\{source="google"\} 1/);
    } finally {
      await dropping.stop();
    }
  });
});
