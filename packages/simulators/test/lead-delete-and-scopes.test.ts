/**
 * What a duplicate check and a breaker probe need from the portal: crm.lead.delete, every lead of
 * an ORIGIN_ID in ID order, a per-origin history of live and deleted leads, and webhooks whose
 * scopes leave out `crm`.
 */
import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { Bitrix24SimulatorClient } from '../src/bitrix24/simulator-client';
import { callJson, lead, type BatchResult } from './rest-client';

describe('Bitrix24 simulator: crm.lead.delete, origins and scopes', () => {
  let sim: Bitrix24Simulator;
  let client: Bitrix24SimulatorClient;

  beforeEach(async () => {
    sim = await startBitrix24Simulator();
    client = new Bitrix24SimulatorClient(sim.url);
  });
  afterEach(async () => {
    await sim.close();
  });

  const add = (origin: string) => callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: origin, ORIGINATOR_ID: 'leadgate', ORIGIN_ID: origin }));
  const byOrigin = async (origin: string) =>
    (
      await callJson<Array<{ ID: string }>>(sim.webhookUrl, 'crm.lead.list', {
        filter: { ORIGINATOR_ID: 'leadgate', '@ORIGIN_ID': [origin] },
        select: ['ID'],
      })
    ).body.result?.map((l) => Number(l.ID));

  it('crm.lead.list by ORIGINATOR_ID and @ORIGIN_ID returns every lead of that origin, ordered by ID', async () => {
    await add('job-1');
    await add('job-2');
    await add('job-1');
    expect(await byOrigin('job-1')).toEqual([1, 3]);
  });

  it('crm.lead.delete answers {"result": true}; the lead is gone from get and list', async () => {
    await add('job-1');
    await add('job-1');
    const res = await callJson(sim.webhookUrl, 'crm.lead.delete', { id: 2 });
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
    expect(await byOrigin('job-1')).toEqual([1]);
    expect((await callJson(sim.webhookUrl, 'crm.lead.get', { id: 2 })).body).toEqual({ error: '', error_description: 'Not found' });
    expect(sim.stats()).toMatchObject({ leadsCreated: 2, leadsDeleted: 1 });
    expect(sim.leads().map((l) => l.ID)).toEqual([1]);
  });

  it('crm.lead.delete of an unknown or invalid ID is a 400 with an empty code', async () => {
    expect((await callJson(sim.webhookUrl, 'crm.lead.delete', { id: 9 })).body).toEqual({ error: '', error_description: 'Not found' });
    const invalid = await callJson(sim.webhookUrl, 'crm.lead.delete', { id: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ error: '', error_description: 'ID is not defined or invalid.' });
  });

  it('crm.lead.delete works inside a batch', async () => {
    await add('job-1');
    await add('job-1');
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { cmd: { d: 'crm.lead.delete?id=2' } });
    expect(res.body.result?.result).toEqual({ d: true });
    expect(await byOrigin('job-1')).toEqual([1]);
  });

  it('/_sim/origins tells live leads from deleted ones for every ORIGIN_ID ever stored', async () => {
    await add('job-1');
    await add('job-2');
    await add('job-1');
    await callJson(sim.webhookUrl, 'crm.lead.delete', { id: 3 });
    expect(await client.origins()).toEqual([
      { originId: 'job-1', live: [1], deleted: [3] },
      { originId: 'job-2', live: [2], deleted: [] },
    ]);
  });

  describe('scopes', () => {
    it('a webhook without the crm scope answers insufficient_scope (403) to crm.* but profile works', async () => {
      await client.setScopes(['user']);
      for (const method of ['crm.lead.add', 'crm.lead.list', 'crm.lead.fields', 'crm.lead.delete', 'crm.status.list']) {
        const res = await callJson(sim.webhookUrl, method, lead({ TITLE: 'x' }));
        expect({ method, status: res.status, body: res.body }).toEqual({
          method,
          status: 403,
          body: { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the webhook token' },
        });
      }
      expect((await callJson(sim.webhookUrl, 'profile')).status).toBe(200);
      expect((await callJson(sim.webhookUrl, 'user.current')).status).toBe(200);
      expect(sim.leads()).toEqual([]);
      expect((await client.info()).scopes).toEqual(['user']);
    });

    it('batch rechecks the scope per command', async () => {
      await client.setScopes([]);
      const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { cmd: { a: 'crm.lead.add?fields[TITLE]=x', p: 'profile' } });
      expect(res.status).toBe(200);
      expect(res.body.result?.result_error).toEqual({ a: { error: 'insufficient_scope', error_description: '' } });
      expect(Object.keys(res.body.result?.result as object)).toEqual(['p']);
    });

    it('the scope can be narrowed at start and granted later', async () => {
      const narrow = await startBitrix24Simulator({ scopes: ['user'] });
      try {
        expect((await callJson(narrow.webhookUrl, 'crm.lead.fields')).body.error).toBe('insufficient_scope');
        narrow.setScopes(['crm', 'user']);
        expect((await callJson(narrow.webhookUrl, 'crm.lead.fields')).status).toBe(200);
      } finally {
        await narrow.close();
      }
    });

    it('the scope check comes after authentication and method lookup', async () => {
      await client.setScopes([]);
      expect((await callJson(`${sim.url}/rest/1/wrong/`, 'crm.lead.add')).body.error).toBe('INVALID_CREDENTIALS');
      expect((await callJson(sim.webhookUrl, 'crm.nothing')).body.error).toBe('ERROR_METHOD_NOT_FOUND');
    });
  });
});
