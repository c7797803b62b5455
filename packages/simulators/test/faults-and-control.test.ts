import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { Bitrix24SimulatorClient } from '../src/bitrix24/simulator-client';
import { callJson, lead } from './rest-client';

describe('Bitrix24 simulator: fault injection', () => {
  let sim: Bitrix24Simulator;

  beforeEach(async () => {
    sim = await startBitrix24Simulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  const addLead = (title: string) => callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: title }));

  it("'error' fails the next N matching calls before executing, then stops", async () => {
    sim.injectFault({ kind: 'error', count: 2, status: 500, error: 'INTERNAL_SERVER_ERROR', description: 'Internal server error', method: 'crm.lead.add' });
    expect((await callJson(sim.webhookUrl, 'crm.lead.list')).status).toBe(200); // other methods are unaffected
    const [a, b, c] = [await addLead('a'), await addLead('b'), await addLead('c')];
    expect([a.status, b.status, c.status]).toEqual([500, 500, 200]);
    expect(a.body).toEqual({ error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    expect(sim.leads().map((l) => l.fields.TITLE)).toEqual(['c']);
    expect(sim.calls().filter((x) => x.fault === 'error')).toHaveLength(2);
  });

  it("'error' can imitate a rate-limit refusal without touching the real bucket", async () => {
    sim.injectFault({ kind: 'error', count: 1, status: 503, error: 'QUERY_LIMIT_EXCEEDED', description: 'Too many requests' });
    const res = await addLead('x');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    expect(sim.stats()).toMatchObject({ queryLimitExceeded: 0, bucketLevel: 0 });
  });

  it("'drop-after-commit' creates the lead, then destroys the socket: fetch rejects with no response", async () => {
    sim.injectFault({ kind: 'drop-after-commit', count: 1, method: 'crm.lead.add' });
    const error = await addLead('committed').then(
      () => null,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    // undici's TypeError comes from another realm than jest's, so compare by name.
    expect(error?.name).toBe('TypeError');
    expect(error?.message).toBe('fetch failed');
    expect(error?.cause?.code).toBe('UND_ERR_SOCKET');
    expect(sim.leads().map((l) => l.fields.TITLE)).toEqual(['committed']);
    expect(sim.calls().at(-1)).toMatchObject({ method: 'crm.lead.add', status: 0, fault: 'drop-after-commit' });
    // The next call is normal, so a client that reconciles by ORIGIN_ID and retries sees the truth.
    expect((await addLead('next')).body.result).toBe(2);
  });

  it("'drop-after-commit' on a batch commits every command", async () => {
    sim.injectFault({ kind: 'drop-after-commit', count: 1 });
    await expect(
      callJson(sim.webhookUrl, 'batch', { cmd: ['crm.lead.add?fields[TITLE]=a', 'crm.lead.add?fields[TITLE]=b'] }),
    ).rejects.toThrow('fetch failed');
    expect(sim.leads()).toHaveLength(2);
  });

  it("'delay' executes first and answers after the delay", async () => {
    sim.injectFault({ kind: 'delay', count: 1, ms: 300 });
    const started = Date.now();
    let answered = false;
    const pending = addLead('slow').then((r) => {
      answered = true;
      return r;
    });
    while (sim.leads().length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(false); // committed while the client still waits
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('close() does not wait for pending delays and may be called twice', async () => {
    sim.injectFault({ kind: 'delay', count: 1, ms: 10_000 });
    const pending = addLead('slow').catch((e: Error) => e);
    while (sim.leads().length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await sim.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toHaveProperty('message', 'fetch failed');
  });

  it("'html-500' answers with an HTML proxy page and does not execute", async () => {
    sim.injectFault({ kind: 'html-500', count: 1 });
    const res = await fetch(`${sim.webhookUrl}crm.lead.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(lead({ TITLE: 'x' })),
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<h1>500 Internal Server Error</h1>');
    expect(sim.leads()).toHaveLength(0);
  });

  it('applies faults in injection order, one fault per request', async () => {
    sim.injectFault({ kind: 'html-500', count: 1 });
    sim.injectFault({ kind: 'error', count: 1, status: 502, error: 'BAD_GATEWAY' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${sim.webhookUrl}crm.lead.fields`)).status);
    expect(statuses).toEqual([500, 502, 200]);
  });

  it('validates faults', () => {
    expect(() => sim.injectFault({ kind: 'delay', count: 0, ms: 10 })).toThrow(/count/);
    expect(() => sim.injectFault({ kind: 'nope', count: 1 } as never)).toThrow(/kind/);
  });
});

describe('Bitrix24 simulator: control API and client', () => {
  let sim: Bitrix24Simulator;
  let client: Bitrix24SimulatorClient;

  beforeEach(async () => {
    sim = await startBitrix24Simulator({ webhookCode: 'ctl' });
    client = new Bitrix24SimulatorClient(sim.webhookUrl);
  });
  afterEach(async () => {
    await sim.close();
  });

  it('reads leads, calls and stats over HTTP without counting as REST traffic', async () => {
    await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'seen', ORIGIN_ID: 'o-1' }));
    const leads = await client.leads();
    expect(leads).toEqual([{ ID: 1, fields: expect.objectContaining({ TITLE: 'seen', ORIGIN_ID: 'o-1' }), createdAt: expect.any(String) }]);
    expect(await client.calls()).toEqual([expect.objectContaining({ method: 'crm.lead.add', status: 200 })]);
    expect(await client.stats()).toMatchObject({ requests: 1, leadsCreated: 1, queryLimitExceeded: 0, operationTimeLimit: 0 });
    expect(await client.info()).toMatchObject({ url: sim.url, webhookUrl: sim.webhookUrl });
  });

  it('injects faults over HTTP and rejects malformed ones with 400', async () => {
    await client.injectFault({ kind: 'error', count: 1, status: 500, error: 'INTERNAL_SERVER_ERROR' });
    expect((await fetch(`${sim.url}/_sim/faults`)).status).toBe(200);
    expect((await callJson(sim.webhookUrl, 'crm.lead.fields')).status).toBe(500);
    const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: '{"kind":"error","count":1}' });
    expect(bad.status).toBe(400);
    await expect(client.injectFault({ kind: 'delay', count: 1 } as never)).rejects.toThrow(/400/);
  });

  it('changes the webhook code and the plan over HTTP', async () => {
    await client.setWebhookCode('new-code');
    expect((await callJson(`${sim.url}/rest/1/ctl/`, 'crm.lead.fields')).status).toBe(403);
    expect((await callJson(`${sim.url}/rest/1/new-code/`, 'crm.lead.fields')).status).toBe(200);
    await client.setPlan({ drainPerSecond: 0, limit: 0 });
    expect((await callJson(`${sim.url}/rest/1/new-code/`, 'crm.lead.fields')).status).toBe(503);
    await client.setPlan('enterprise');
    expect((await client.info()).bucket).toEqual({ drainPerSecond: 5, limit: 250 });
  });

  it('reset drops leads, calls, faults and bucket state but keeps the webhook code and plan', async () => {
    sim.setPlan({ drainPerSecond: 0, limit: 1 });
    await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'a' }));
    await callJson(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'b' }));
    sim.injectFault({ kind: 'html-500', count: 5 });
    await client.reset();
    expect(await client.leads()).toEqual([]);
    expect(await client.calls()).toEqual([]);
    expect(await client.stats()).toEqual({ requests: 0, queryLimitExceeded: 0, operationTimeLimit: 0, tokenRefreshes: 0, leadsCreated: 0, leadsDeleted: 0, uncommittedLeads: 0, inFlight: 0, bucketLevel: 0, otherApps: { requestsPerSecond: 0, requests: 0, refused: 0 } });
    const res = await callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: 'fresh' }));
    expect(res.body.result).toBe(1);
    expect((await client.info()).bucket).toEqual({ drainPerSecond: 0, limit: 1 });
  });
});
