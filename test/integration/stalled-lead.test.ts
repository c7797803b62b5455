import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDlqCommand } from '../../src/cli/dlq';
import { buildConfig } from '../../src/config/load-config';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startBitrix24Simulator, startMetaSimulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { postJson } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let sim: Bitrix24Simulator;
let api: RunningLeadgate;
const prefix = uniquePrefix('stalled-lead');

beforeAll(async () => {
  sim = await startBitrix24Simulator();
});

afterAll(async () => {
  await api.stop();
  await sim.close();
  await dropPrefix(prefix);
});

describe('a lead whose workers keep dying', () => {
  it('is dead-lettered with the reason once it stalled more often than allowed, never silently left behind', async () => {
    const raw = {
      redis: { url: SHARED_REDIS_URL, prefix },
      admin: { token: 'admin-secret' },
      http: { port: 0, host: '127.0.0.1' },
      worker: { port: 0, host: '127.0.0.1' },
      delivery: { lockDurationMs: 1000, maxStalls: 0, backoff: { baseDelayMs: 50, maxDelayMs: 200 } },
      destinations: { main: { webhookUrl: sim.webhookUrl } },
      forms: {},
      acceptAnyForm: true,
    };
    // The worker hangs in a slow Bitrix24 call and is killed: with maxStalls 0 its lead may not be taken over.
    sim.injectFault({ kind: 'delay', count: 1, ms: 5000, method: 'crm.lead.add' });
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-stall-')), 'leadgate.yaml');
    writeFileSync(file, JSON.stringify(raw));
    const doomed = spawnLeadgate(['worker', '--config', file]);
    api = await startLeadgate({ config: buildConfig(raw, {}), role: 'api', logger: silentLogger });
    const { id } = (await (await postJson(`${api.url}/v1/forms/contact`, { email: 'stall@example.com' })).json()) as { id: string };
    await waitFor(() => sim.stats().inFlight > 0, 'the slow call under way', 20_000, 50);
    doomed.kill('SIGKILL');
    await exited(doomed);

    await api.stop();
    api = await startLeadgate({ config: buildConfig(raw, {}), role: 'all', logger: silentLogger });
    const record = await waitFor(async () => {
      const body = (await (await fetch(`${api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { status: string; lastError?: string };
      return body.status === 'dead' ? body : undefined;
    }, 'the stalled lead dead-lettered', 20_000, 100);
    expect(record.lastError).toMatch(/stalled/);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/leadgate_dead_letters 1/);
    // Replaying it looks before adding: the portal did create it before the worker died.
    await runDlqCommand(buildConfig(raw, {}), { action: 'replay', id, all: false }, () => undefined);
    await waitFor(async () => {
      const body = (await (await fetch(`${api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { status: string };
      return body.status === 'delivered';
    }, 'delivered after replay', 20_000, 100);
    expect(sim.leads().filter((l) => l.fields.ORIGIN_ID === id)).toHaveLength(1);
  });

  it('applies to reading a Meta lead too: a read whose worker died is dead-lettered and replay reads it again', async () => {
    const meta = await startMetaSimulator({ appSecret: 'stall-secret', pageTokens: { '1111111111': 'EAAB-stall' } });
    const metaPrefix = uniquePrefix('stalled-meta');
    const raw = {
      redis: { url: SHARED_REDIS_URL, prefix: metaPrefix },
      admin: { token: 'admin-secret' },
      http: { port: 0, host: '127.0.0.1' },
      worker: { port: 0, host: '127.0.0.1' },
      delivery: { lockDurationMs: 1000, maxStalls: 0, backoff: { baseDelayMs: 50, maxDelayMs: 200 } },
      destinations: { main: { webhookUrl: sim.webhookUrl } },
      forms: {},
      sources: { meta: { appSecret: 'stall-secret', graphUrl: meta.graphUrl, pages: { '1111111111': { accessToken: 'EAAB-stall' } } } },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-stall-meta-')), 'leadgate.yaml');
    writeFileSync(file, JSON.stringify(raw));
    let metaApi: RunningLeadgate | undefined;
    try {
      meta.addLead({ id: '222222222222222222', page_id: '1111111111', ad_id: '1', field_data: [{ name: 'email', values: ['metastall@example.com'] }] });
      const doomed = spawnLeadgate(['worker', '--config', file]);
      metaApi = await startLeadgate({ config: buildConfig(raw, {}), role: 'api', logger: silentLogger });
      // The worker checks its Page token first: only the lead read that follows may be the slow one.
      await waitFor(() => meta.graphCalls().some((c) => c.path.includes('debug_token')), "the worker's token check", 20_000, 50);
      meta.slowGraph(5000, 1);
      expect((await meta.sendWebhook(`${metaApi.url}/v1/webhooks/meta`, ['222222222222222222'])).status).toBe(200);
      await waitFor(() => meta.graphCalls().some((c) => c.path.includes('222222222222222222')), 'the slow Graph read under way', 20_000, 50);
      doomed.kill('SIGKILL');
      await exited(doomed);
      await metaApi.stop();
      metaApi = await startLeadgate({ config: buildConfig(raw, {}), role: 'all', logger: silentLogger });
      const config = buildConfig(raw, {});
      const lines: string[] = [];
      await waitFor(async () => {
        lines.length = 0;
        await runDlqCommand(config, { action: 'list', limit: 10 }, (l) => lines.push(l));
        return lines.length === 2;
      }, 'the Meta read dead-lettered', 20_000, 100);
      const entry = JSON.parse(lines[0]!) as { id: string; code: string; reason: string };
      expect(entry).toMatchObject({ code: 'STALLED', reason: expect.stringMatching(/stalled/) });
      await runDlqCommand(config, { action: 'replay', id: entry.id, all: false }, () => undefined);
      await waitFor(() => sim.leads().some((l) => l.fields.ORIGIN_ID === entry.id), 'delivered after replay', 20_000, 100);
    } finally {
      await metaApi?.stop();
      await meta.close();
      await dropPrefix(metaPrefix);
    }
  });
});
