import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../src/config/load-config';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { postJson } from '../helpers/stack';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { waitFor, sleep } from '../helpers/wait-for';

let sim: Bitrix24Simulator;
let api: RunningLeadgate;
let rescuer: RunningLeadgate | undefined;
let crashing: ChildProcess;
const prefix = uniquePrefix('worker-crash');
let raw: Record<string, unknown>;

beforeAll(async () => {
  sim = await startBitrix24Simulator();
  raw = {
    redis: { url: SHARED_REDIS_URL, prefix },
    admin: { token: 'admin-secret' },
    http: { port: 0, host: '127.0.0.1' },
    worker: { port: 0, host: '127.0.0.1' },
    delivery: { lockDurationMs: 1500, backoff: { baseDelayMs: 50, maxDelayMs: 200 } },
    destinations: { main: { webhookUrl: sim.webhookUrl } },
    forms: {},
    acceptAnyForm: true,
  };
  api = await startLeadgate({ config: buildConfig(raw, {}), role: 'api', logger: silentLogger });
});

afterAll(async () => {
  crashing?.kill('SIGKILL');
  await rescuer?.stop();
  await api.stop();
  await sim.close();
  await dropPrefix(prefix);
});

describe('a worker killed while Bitrix24 is creating the lead', () => {
  it('leaves the lead to another worker, which finds it already created instead of adding it twice', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-crash-')), 'leadgate.yaml');
    writeFileSync(file, JSON.stringify(raw));
    // The portal commits the lead, then answers slowly: the worker is killed before it hears back.
    sim.injectFault({ kind: 'delay', count: 1, ms: 3000, method: 'crm.lead.add' });
    crashing = spawnLeadgate(['worker', '--config', file]);
    const response = await postJson(`${api.url}/v1/forms/contact`, { email: 'crash@example.com' });
    const { id } = (await response.json()) as { id: string };
    await waitFor(() => sim.leads().some((l) => l.fields.ORIGIN_ID === id), 'lead committed by the portal', 20_000, 50);
    crashing.kill('SIGKILL');
    await exited(crashing);

    rescuer = await startLeadgate({ config: buildConfig(raw, {}), role: 'worker', logger: silentLogger });
    const record = await waitFor(async () => {
      const answer = await fetch(`${api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
      const body = (await answer.json()) as { status: string; history: Array<{ outcome: string }> };
      return body.status === 'delivered' ? body : undefined;
    }, 'the lead delivered by the second worker', 20_000, 100);
    await sleep(300);
    expect(sim.leads().filter((l) => l.fields.ORIGIN_ID === id)).toHaveLength(1);
    expect(record.history.map((a) => a.outcome)).toEqual(['reconciled']);
  });
});
