/**
 * Faults the chaos suite needs: a portal that commits after the client gave up, a proxy answering
 * on its own, connections reset before or after the commit, slow answers and a portal holding
 * every request. All of them are reachable through the /_sim/ control API.
 */
import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { Bitrix24SimulatorClient } from '../src/bitrix24/simulator-client';
import { callJson, lead } from './rest-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Bitrix24 simulator: chaos faults', () => {
  let sim: Bitrix24Simulator;
  let client: Bitrix24SimulatorClient;

  beforeEach(async () => {
    sim = await startBitrix24Simulator();
    client = new Bitrix24SimulatorClient(sim.url);
  });
  afterEach(async () => {
    await sim.close();
  });

  const addLead = (origin: string) => callJson<number>(sim.webhookUrl, 'crm.lead.add', lead({ TITLE: origin, ORIGINATOR_ID: 'lg', ORIGIN_ID: origin }));
  const listByOrigin = async (origin: string) =>
    (await callJson<Array<{ ID: string }>>(sim.webhookUrl, 'crm.lead.list', { filter: { ORIGINATOR_ID: 'lg', '@ORIGIN_ID': [origin] }, select: ['ID'] })).body.result;
  const timedOut = (promise: Promise<unknown>, ms: number) =>
    Promise.race([promise.then(() => 'answered'), sleep(ms).then(() => 'timed out')]);

  describe("'slow-commit'", () => {
    it('keeps the lead invisible to crm.lead.list until commitAfterMs after arrival, then answers', async () => {
      await client.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 1200, method: 'crm.lead.add' });
      const arrived = Date.now();
      const pending = addLead('job-1');
      expect(await timedOut(pending, 300)).toBe('timed out'); // a client with a 300 ms timeout gives up here
      expect(await listByOrigin('job-1')).toEqual([]); // its lookup finds nothing: the portal has not committed
      expect(sim.stats()).toMatchObject({ uncommittedLeads: 1, leadsCreated: 0, inFlight: 1 });
      const res = await pending;
      expect(Date.now() - arrived).toBeGreaterThanOrEqual(1150);
      expect(res.body.result).toBe(1);
      expect(sim.calls().at(-1)).toMatchObject({ method: 'crm.lead.add', status: 200, fault: 'slow-commit' });
      expect(await listByOrigin('job-1')).toEqual([{ ID: '1' }]);
    });

    it('can answer at once with the ID while the commit is still pending', async () => {
      await client.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 800, answerAfterMs: 0 });
      const res = await addLead('job-2');
      expect(res.body.result).toBe(1);
      expect(await listByOrigin('job-2')).toEqual([]);
      expect((await callJson(sim.webhookUrl, 'crm.lead.get', { id: 1 })).body.error_description).toBe('Not found');
      await sleep(900);
      expect(await listByOrigin('job-2')).toEqual([{ ID: '1' }]);
    });

    it('commits every lead of a batch together, later', async () => {
      await client.injectFault({ kind: 'slow-commit', count: 1, commitAfterMs: 600, answerAfterMs: 0, method: 'batch' });
      const cmd = ['a', 'b'].map((o) => `crm.lead.add?fields[TITLE]=${o}&fields[ORIGINATOR_ID]=lg&fields[ORIGIN_ID]=${o}`);
      const res = await callJson<{ result: number[] }>(sim.webhookUrl, 'batch', { cmd });
      expect(res.body.result?.result).toEqual([1, 2]);
      expect(sim.leads()).toEqual([]);
      await sleep(700);
      expect(sim.leads().map((l) => l.ID)).toEqual([1, 2]);
    });
  });

  describe("'proxy'", () => {
    it.each([
      [403, 'html', 'text/html'],
      [404, 'empty', null],
      [413, 'text', 'text/plain'],
      [502, 'html', 'text/html'],
      [504, 'html', 'text/html'],
    ] as const)('answers %i with a %s body that is not Bitrix JSON, runs nothing and leaves the bucket alone', async (status, body, type) => {
      await client.injectFault({ kind: 'proxy', count: 1, status, body });
      const res = await fetch(`${sim.webhookUrl}crm.lead.add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lead({ TITLE: 'x' })) });
      const text = await res.text();
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe(type);
      if (body === 'html') expect(text).toContain(`<title>${status} `);
      if (body === 'empty') expect(text).toBe('');
      if (body === 'text') expect(text).toBe('413 Payload Too Large\n');
      expect(sim.leads()).toEqual([]);
      expect(sim.stats().bucketLevel).toBe(0);
      expect(sim.calls().at(-1)).toMatchObject({ status, fault: 'proxy' });
    });

    it('answers 429 without a Bitrix body, with Retry-After when asked', async () => {
      await client.injectFault({ kind: 'proxy', count: 1, status: 429, body: 'empty', retryAfter: 2 });
      const res = await fetch(`${sim.webhookUrl}profile`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.text()).toBe('');
    });

    it('refuses statuses a proxy does not send and bodies it does not know', async () => {
      await expect(client.injectFault({ kind: 'proxy', count: 1, status: 200 })).rejects.toThrow('fault.status must be one of');
      await expect(client.injectFault({ kind: 'proxy', count: 1, status: 403, body: 'xml' as 'html' })).rejects.toThrow("fault.body must be 'html', 'empty' or 'text'");
    });
  });

  describe('connection resets', () => {
    it("'reset-before-commit' destroys the socket before anything runs", async () => {
      await client.injectFault({ kind: 'reset-before-commit', count: 1 });
      await expect(addLead('r1')).rejects.toThrow('fetch failed');
      expect(sim.leads()).toEqual([]);
      expect(sim.stats().bucketLevel).toBe(0);
      expect(sim.calls().at(-1)).toMatchObject({ status: 0, fault: 'reset-before-commit' });
    });

    it("'reset-after-commit' is drop-after-commit: a batch is committed in full, then the socket is destroyed", async () => {
      await client.injectFault({ kind: 'reset-after-commit' as 'drop-after-commit', count: 1, method: 'batch' });
      const pendingKinds = ((await (await fetch(`${sim.url}/_sim/faults`)).json()) as Array<{ kind: string }>).map((f) => f.kind);
      expect(pendingKinds).toEqual(['drop-after-commit']);
      const cmd = ['a', 'b', 'c'].map((o) => `crm.lead.add?fields[TITLE]=${o}`);
      await expect(callJson(sim.webhookUrl, 'batch', { cmd })).rejects.toThrow('fetch failed');
      expect(sim.leads()).toHaveLength(3);
    });
  });

  it("'delay' with beforeMs waits before executing, then again after", async () => {
    await client.injectFault({ kind: 'delay', count: 1, beforeMs: 400, ms: 300 });
    const arrived = Date.now();
    const pending = addLead('slow');
    await sleep(250);
    expect(sim.leads()).toEqual([]); // still waiting to execute
    let committedAt = 0;
    while (sim.leads().length === 0) await sleep(10);
    committedAt = Date.now();
    await pending;
    expect(committedAt - arrived).toBeGreaterThanOrEqual(380);
    expect(Date.now() - committedAt).toBeGreaterThanOrEqual(250);
  });

  describe('hold', () => {
    it("holds every request after executing ('after', the default) until switched off; in-flight requests are counted", async () => {
      await client.setHold({ ms: 60_000 });
      expect((await client.info()).hold).toEqual({ ms: 60_000, phase: 'after' });
      const first = addLead('h1');
      const second = addLead('h2');
      while (sim.stats().inFlight < 2) await sleep(10);
      expect(sim.leads()).toHaveLength(2); // committed, answers held
      await client.setHold({ ms: 0 });
      expect((await addLead('h3')).status).toBe(200); // later requests are not held
      expect(sim.stats().inFlight).toBe(2);
      await sim.close(); // close wakes held requests so the test ends
      await Promise.allSettled([first, second]);
    });

    it("'before' holds a request before anything runs", async () => {
      await client.setHold({ ms: 500, phase: 'before' });
      const pending = addLead('b1');
      await sleep(250);
      expect(sim.leads()).toEqual([]);
      expect((await pending).status).toBe(200);
      expect(sim.leads()).toHaveLength(1);
    });

    it('refuses a malformed hold', async () => {
      await expect(client.setHold({ ms: -1 })).rejects.toThrow('hold.ms must be a non-negative number');
    });
  });
});
