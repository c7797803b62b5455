import { startGoogleAdsSimulator, type GoogleAdsSimulator } from '@leadgate/simulators';
import { runConversionsExport } from '../../src/cli/conversions-export';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const APP_TOKEN = 'b24-application-token-2';
const CUSTOMER = '1234567890';
const QUALIFIED = '987654321';
const SALE = '987654322';

let google: GoogleAdsSimulator;
let stack: Stack;

beforeAll(async () => {
  google = await startGoogleAdsSimulator({ customerId: CUSTOMER, conversionActionIds: [QUALIFIED, SALE] });
  stack = await startStack('conversions-google', {
    overrides: {
      acceptAnyForm: false,
      forms: { offer: { destination: 'main', set: { OPPORTUNITY: 1200, CURRENCY_ID: 'EUR' } } },
      conversions: {
        destinations: { main: { applicationToken: APP_TOKEN, sweepIntervalSeconds: 0 } },
        leadStatuses: { IN_PROCESS: { google: 'Qualified lead' } },
        dealStages: { WON: { google: 'Sale', value: true } },
        google: {
          customerId: CUSTOMER,
          serviceAccount: { ...google.serviceAccount, tokenUrl: google.tokenUrl },
          ingestUrl: google.ingestUrl,
          conversionActions: { 'Qualified lead': QUALIFIED, Sale: SALE },
          lingerMs: 30,
          exportTimeZone: '+0100',
        },
      },
    },
  });
  stack.sim.subscribeEvents({ url: `${stack.api.url}/v1/webhooks/bitrix24/main`, applicationToken: APP_TOKEN });
});

afterAll(async () => {
  await stack.stop();
  await google.close();
});

/** A form lead whose visitor came from a Google ad (`gclid`), `ageDays` after the click. */
async function formLead(clickId: string, key = 'gclid', ageDays = 1): Promise<{ b24Id: number; leadId: string }> {
  const touch = JSON.stringify({ landing: `https://shop.example/?${key}=${clickId}`, [key]: clickId, age: ageDays * 86_400 });
  const res = await fetch(`${stack.api.url}/v1/forms/offer`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ name: 'Anna Schmidt', email: `${clickId.toLowerCase()}@example.com`, lg_first_touch: touch, lg_last_touch: touch }).toString(),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const lead = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), 'the lead in Bitrix24');
  return { b24Id: lead.ID, leadId: id };
}

const ingestedFor = (clickId: string) => google.ingested().filter((e) => Object.values(e.event.adIdentifiers as object).includes(clickId));

async function conversions(leadId: string): Promise<Array<{ eventName: string; status: string; error?: string }>> {
  const res = await fetch(`${stack.api.url}/v1/leads/${leadId}`, { headers: { authorization: 'Bearer admin-secret' } });
  return ((await res.json()) as { conversions: Array<{ eventName: string; status: string; error?: string }> }).conversions;
}

describe('Bitrix24 stage changes → Google Ads offline click conversions (Data Manager API)', () => {
  it('uploads each mapped stage once by its click id, with the stage time, the deal value and a stable transaction id', async () => {
    const { b24Id, leadId } = await formLead('Cj0KCQ-first');
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    await waitFor(() => ingestedFor('Cj0KCQ-first').length === 1, 'the Qualified lead conversion');
    stack.sim.moveStage('lead', b24Id, 'NEW');
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    stack.sim.moveStage('lead', b24Id, 'CONVERTED');
    const deal = await waitFor(() => stack.sim.crmRecords('deal').find((d) => d.LEAD_ID === String(b24Id)), 'the deal');
    stack.sim.moveStage('deal', Number(deal.ID), 'WON');
    await waitFor(() => ingestedFor('Cj0KCQ-first').length === 2, 'the Sale conversion');
    await stack.sim.eventsSettled();
    await sleep(300);

    const [qualified, sale] = ingestedFor('Cj0KCQ-first');
    expect(qualified).toMatchObject({ productDestinationId: QUALIFIED, validateOnly: false, event: { adIdentifiers: { gclid: 'Cj0KCQ-first' }, eventSource: 'WEB' } });
    expect(qualified!.event.conversionValue).toBeUndefined();
    expect(sale).toMatchObject({ productDestinationId: SALE, event: { conversionValue: 1200, currency: 'EUR' } });
    const won = stack.sim.stageHistory().find((h) => h.OWNER_ID === String(deal.ID) && h.STAGE_ID === 'WON')!;
    expect(Date.parse(String(sale!.event.eventTimestamp))).toBe(Date.parse(won.CREATED_TIME));
    expect(sale!.event.transactionId).toMatch(/^[0-9a-f]{32}$/);
    expect(sale!.event.transactionId).not.toBe(qualified!.event.transactionId);
    expect((await conversions(leadId)).map((c) => [c.eventName, c.status])).toEqual([['Qualified lead', 'sent'], ['Sale', 'sent']]);
    // One service-account exchange serves every upload while the token lives.
    expect(google.tokensIssued()).toBe(1);
  }, 30_000);

  it('renews a refused access token once and uploads; a wbraid click uploads as wbraid', async () => {
    google.expireTokens();
    const { b24Id } = await formLead('WB-ios-1', 'wbraid');
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    await waitFor(() => ingestedFor('WB-ios-1').length === 1, 'the wbraid conversion');
    expect(ingestedFor('WB-ios-1')[0]!.event.adIdentifiers).toEqual({ wbraid: 'WB-ios-1' });
    expect(google.tokensIssued()).toBe(2);
  }, 20_000);

  it('expires a conversion more than 90 days after its click visibly, without uploading it', async () => {
    const requests = google.requests().length;
    const { b24Id, leadId } = await formLead('Cj0KCQ-old', 'gclid', 95);
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS');
    const expired = await waitFor(async () => (await conversions(leadId)).find((c) => c.status === 'expired'), 'the expired conversion');
    expect(expired.error).toMatch(/90 days/);
    await sleep(200);
    expect(google.requests().length).toBe(requests);
    const metrics = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_conversions_expired_total\{platform="google",event="Qualified lead"\} 1/);
  }, 20_000);

  it('exports the Google conversions as the scheduled-import CSV (gclid rows, the configured offset)', async () => {
    const lines: string[] = [];
    await runConversionsExport(stack.config, { platform: 'google', days: 30 }, (text) => lines.push(text), () => undefined);
    const csv = lines.join('');
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe('Parameters:TimeZone=+0100');
    expect(rows[1]).toBe('Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency');
    // Both stages can fall in one second: the file's order between them is not the funnel's.
    expect(rows.filter((r) => r.startsWith('Cj0KCQ-first,')).sort()).toEqual([
      expect.stringMatching(/^Cj0KCQ-first,Qualified lead,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},,$/),
      expect.stringMatching(/^Cj0KCQ-first,Sale,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},1200,EUR$/),
    ]);
    expect(csv).not.toContain('WB-ios-1');
  });
});
