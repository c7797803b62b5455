import { startMetaCapiSimulator, startMetaSimulator, type MetaCapiSimulator, type MetaSimulator } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';

const APP_SECRET = 'meta-app-secret';
const PAGE = '1234567890123456789';
const PAGE_TOKEN = 'EAAB-page-token';
const DATASET = '555000111222334';
const CAPI_TOKEN = 'EAAB-capi-system-user';
const APP_TOKEN = 'b24-application-token-3';

let meta: MetaSimulator;
let capi: MetaCapiSimulator;
let stack: Stack;

beforeAll(async () => {
  meta = await startMetaSimulator({ appSecret: APP_SECRET, pageTokens: { [PAGE]: PAGE_TOKEN } });
  capi = await startMetaCapiSimulator({ datasetId: DATASET, accessToken: CAPI_TOKEN });
  stack = await startStack('conversions-sweep', {
    overrides: {
      sources: { meta: { appSecret: APP_SECRET, verifyToken: 'verify', graphUrl: meta.graphUrl, pages: { [PAGE]: { accessToken: PAGE_TOKEN } } } },
      conversions: {
        // Swept by the spec itself (runOnce), not by the timer.
        destinations: { main: { applicationToken: APP_TOKEN, sweepIntervalSeconds: 0 } },
        leadStatuses: { IN_PROCESS: { meta: 'Qualified' }, PROCESSED: { meta: 'Appointment' } },
        dealStages: { WON: { meta: 'Converted' } },
        meta: { datasetId: DATASET, accessToken: CAPI_TOKEN, graphUrl: capi.graphUrl, lingerMs: 30 },
      },
    },
  });
  stack.sim.subscribeEvents({ url: `${stack.api.url}/v1/webhooks/bitrix24/main`, applicationToken: APP_TOKEN });
});

afterAll(async () => {
  await stack.stop();
  await meta.close();
  await capi.close();
});

async function metaLead(leadgenId: string): Promise<number> {
  meta.addLead({ id: leadgenId, page_id: PAGE, form_id: '7000000000000001', field_data: [{ name: 'full_name', values: ['Ben Wolf'] }, { name: 'email', values: ['ben@example.com'] }] });
  expect((await meta.sendWebhook(`${stack.api.url}/v1/webhooks/meta`, [leadgenId])).status).toBe(200);
  const lead = await waitFor(() => stack.sim.leads().find((l) => String(l.fields.COMMENTS ?? '').includes(`meta_lead_id: ${leadgenId}`)), 'the lead in Bitrix24');
  return lead.ID;
}

const eventsFor = (leadgenId: string) => capi.received().filter((r) => r.leadId === leadgenId);
const sweep = () => stack.api.conversionWorkers!.sweeps.runOnce('main');

describe('the stage-history sweep', () => {
  it('recovers stage changes whose Bitrix24 events were lost, with the true time of each change, once', async () => {
    const leadgenId = '1234567890123460';
    const b24Id = await metaLead(leadgenId);
    await stack.sim.eventsSettled();
    // The ONCRMLEADADD read must be over first: a read later than the moves would see them in the history.
    await waitFor(() => stack.sim.calls().some((c) => c.method === 'crm.stagehistory.list'), 'the read of the new lead');
    await sleep(300);
    // Bitrix24 does not resend: these three events never reach leadgate.
    stack.sim.dropEvents(3);
    const qualifiedAt = Date.now() - 3 * 3_600_000;
    stack.sim.moveStage('lead', b24Id, 'IN_PROCESS', { at: qualifiedAt });
    stack.sim.moveStage('lead', b24Id, 'PROCESSED');
    stack.sim.moveStage('lead', b24Id, 'CONVERTED');
    await stack.sim.eventsSettled();
    await sleep(300);
    expect(eventsFor(leadgenId)).toEqual([]);

    expect(await sweep()).toBeGreaterThan(0);
    await waitFor(() => eventsFor(leadgenId).length === 2, 'both recovered events');
    const byName = Object.fromEntries(eventsFor(leadgenId).map((e) => [e.event.event_name, e.event.event_time]));
    expect(byName.Qualified).toBe(Math.floor(qualifiedAt / 1000));

    // The next sweep starts where this one stopped: a deal won since, with its event lost too.
    const deal = stack.sim.crmRecords('deal').find((d) => d.LEAD_ID === String(b24Id))!;
    stack.sim.dropEvents(1);
    stack.sim.moveStage('deal', Number(deal.ID), 'WON');
    await stack.sim.eventsSettled();
    const callsBefore = stack.sim.calls().length;
    expect(await sweep()).toBe(1);
    await waitFor(() => eventsFor(leadgenId).length === 3, 'the recovered Converted event');
    expect(stack.sim.calls().slice(callsBefore).filter((c) => c.method === 'crm.stagehistory.list').length).toBeLessThanOrEqual(4);

    // Sweeping again finds nothing new and sends nothing twice.
    expect(await sweep()).toBe(0);
    await sleep(300);
    expect(eventsFor(leadgenId).map((e) => e.event.event_name).sort()).toEqual(['Appointment', 'Converted', 'Qualified']);
  }, 30_000);
});
