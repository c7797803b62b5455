import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24';
import { callJson } from './rest-client';

let portal: Bitrix24Simulator;
let handler: { url: string; bodies: string[]; close(): Promise<void> };

/** A real HTTP handler that records what the portal posts. */
async function startHandler(): Promise<typeof handler> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(`${req.headers['content-type']}|${body}`);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

beforeEach(async () => {
  portal = await startBitrix24Simulator();
  handler = await startHandler();
});

afterEach(async () => {
  await portal.close();
  await handler.close();
});

async function addLead(fields: Record<string, unknown> = { TITLE: 't', NAME: 'Anna' }): Promise<number> {
  return (await callJson<number>(portal.webhookUrl, 'crm.lead.add', { fields })).body.result!;
}

describe('Bitrix24 simulator: stage history and outgoing events', () => {
  it('posts ONCRMLEADADD/UPDATE form-encoded with PHP bracket keys and the handler\'s application token', async () => {
    portal.subscribeEvents({ url: handler.url, applicationToken: 'tok-123' });
    const id = await addLead();
    portal.moveStage('lead', id, 'IN_PROCESS');
    await portal.eventsSettled();
    expect(handler.bodies).toHaveLength(2);
    const [type, body] = handler.bodies[1]!.split('|') as [string, string];
    expect(type).toBe('application/x-www-form-urlencoded');
    const params = new URLSearchParams(body);
    expect(params.get('event')).toBe('ONCRMLEADUPDATE');
    expect(params.get('data[FIELDS][ID]')).toBe(String(id));
    expect(params.get('auth[application_token]')).toBe('tok-123');
    expect(params.get('auth[member_id]')).toMatch(/^[0-9a-f]{32}$/);
    expect(body).toContain('data%5BFIELDS%5D%5BID%5D=');
    expect(portal.sentEvents().map((e) => [e.event, e.status])).toEqual([['ONCRMLEADADD', 200], ['ONCRMLEADUPDATE', 200]]);
  });

  it('loses events on request and never resends them', async () => {
    portal.subscribeEvents({ url: handler.url, applicationToken: 'tok-123', events: ['ONCRMLEADUPDATE'] });
    const id = await addLead();
    portal.dropEvents(1);
    portal.moveStage('lead', id, 'IN_PROCESS');
    portal.moveStage('lead', id, 'PROCESSED');
    await portal.eventsSettled();
    expect(portal.sentEvents().map((e) => [e.event, Boolean(e.dropped)])).toEqual([['ONCRMLEADUPDATE', true], ['ONCRMLEADUPDATE', false]]);
    expect(handler.bodies).toHaveLength(1);
  });

  it('answers crm.stagehistory.list with items (STATUS_ID for leads, STAGE_ID for deals), filters, keyset paging', async () => {
    const id = await addLead();
    portal.moveStage('lead', id, 'IN_PROCESS', { at: '2026-12-01T10:00:00Z' });
    portal.moveStage('lead', id, 'CONVERTED');
    const deal = portal.crmRecords('deal').find((d) => d.LEAD_ID === String(id))!;
    expect(deal).toMatchObject({ STAGE_ID: 'NEW' });
    portal.moveStage('deal', Number(deal.ID), 'WON');

    const leads = await callJson<{ items: Array<Record<string, unknown>> }>(portal.webhookUrl, 'crm.stagehistory.list', { entityTypeId: 1, filter: { OWNER_ID: id }, order: { ID: 'ASC' } });
    expect(leads.body.result!.items.map((r) => [r.TYPE_ID, r.STATUS_ID])).toEqual([['1', 'NEW'], ['2', 'IN_PROCESS'], ['3', 'CONVERTED']]);
    expect(leads.body.result!.items[1]).toMatchObject({ CREATED_TIME: '2026-12-01T10:00:00+00:00', STAGE_SEMANTIC_ID: 'P', OWNER_ID: String(id) });
    const deals = await callJson<{ items: Array<Record<string, unknown>> }>(portal.webhookUrl, 'crm.stagehistory.list', { entityTypeId: 2, filter: { '>ID': 0 }, select: ['ID', 'STAGE_ID'] });
    expect(deals.body.result!.items.map((r) => r.STAGE_ID)).toEqual(['NEW', 'WON']);
    expect(Object.keys(deals.body.result!.items[0]!)).toEqual(['ID', 'STAGE_ID']);
    const after = await callJson<{ items: unknown[] }>(portal.webhookUrl, 'crm.stagehistory.list', { entityTypeId: 1, filter: { '>ID': 100 } });
    expect(after.body.result!.items).toEqual([]);
    const bad = await callJson(portal.webhookUrl, 'crm.stagehistory.list', { entityTypeId: 7 });
    expect(bad.status).toBe(400);
  });

  it('reads a deal with crm.deal.get, and lists DEAL_STAGE statuses', async () => {
    const id = (await callJson<number>(portal.webhookUrl, 'crm.deal.add', { fields: { TITLE: 'd', LEAD_ID: 4, OPPORTUNITY: 1200, CURRENCY_ID: 'EUR' } })).body.result!;
    const got = await callJson<Record<string, unknown>>(portal.webhookUrl, 'crm.deal.get', { id });
    expect(got.body.result).toMatchObject({ ID: String(id), LEAD_ID: '4', STAGE_ID: 'NEW', OPPORTUNITY: '1200', CURRENCY_ID: 'EUR' });
    expect((await callJson(portal.webhookUrl, 'crm.deal.get', { id: 999 })).body).toEqual({ error: '', error_description: 'Not found' });
    const stages = await callJson<Array<{ STATUS_ID: string }>>(portal.webhookUrl, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' } });
    expect(stages.body.result!.map((s) => s.STATUS_ID)).toContain('WON');
  });

  it('moves stages and subscribes through /_sim/ control routes', async () => {
    const id = await addLead();
    const post = (path: string, body: unknown) => fetch(`${portal.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/_sim/events/subscriptions', { url: handler.url, applicationToken: 'tok-1' })).status).toBe(201);
    expect((await post('/_sim/stage', { entity: 'lead', id, stageId: 'JUNK' })).status).toBe(200);
    expect((await post('/_sim/stage', { entity: 'lead', id, stageId: 'NOPE' })).status).toBe(400);
    await portal.eventsSettled();
    const events = (await (await fetch(`${portal.url}/_sim/events`)).json()) as Array<{ event: string }>;
    expect(events.map((e) => e.event)).toEqual(['ONCRMLEADUPDATE']);
    const history = (await (await fetch(`${portal.url}/_sim/stagehistory`)).json()) as Array<{ STATUS_ID: string; TYPE_ID: string }>;
    expect(history.map((h) => [h.STATUS_ID, h.TYPE_ID])).toEqual([['NEW', '1'], ['JUNK', '3']]);
  });
});
