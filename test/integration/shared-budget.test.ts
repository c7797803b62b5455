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
import { waitFor } from '../helpers/wait-for';

/** A small bucket so the test is short: 4 requests/s drained, blocking above 8. */
const BUCKET = { drainPerSecond: 4, limit: 8 };
const LEADS = 36;

let sim: Bitrix24Simulator;
let api: RunningLeadgate;
const workers: ChildProcess[] = [];
const prefix = uniquePrefix('shared-budget');

function startWorkerProcess(configFile: string): ChildProcess {
  const child = spawnLeadgate(['worker', '--config', configFile]);
  workers.push(child);
  return child;
}

beforeAll(async () => {
  sim = await startBitrix24Simulator({ bucket: BUCKET });
  const raw = {
    redis: { url: SHARED_REDIS_URL, prefix },
    http: { port: 0, host: '127.0.0.1' },
    worker: { port: 0, host: '127.0.0.1' },
    delivery: { maxBatchSize: 1, backoff: { baseDelayMs: 50, maxDelayMs: 200 } },
    destinations: { main: { webhookUrl: sim.webhookUrl, rateLimit: BUCKET } },
    forms: {},
    acceptAnyForm: true,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'leadgate-budget-')), 'leadgate.yaml');
  writeFileSync(file, JSON.stringify(raw)); // JSON is YAML
  api = await startLeadgate({ config: buildConfig(raw, {}), role: 'api', logger: silentLogger });
  startWorkerProcess(file);
  startWorkerProcess(file);
});

afterAll(async () => {
  for (const child of workers) child.kill('SIGTERM');
  await Promise.all(workers.map(exited));
  await api.stop();
  await sim.close();
  await dropPrefix(prefix);
});

describe('two worker processes on one Redis', () => {
  it('share one request budget: every lead is delivered once and the portal never refuses a request', async () => {
    const ids: string[] = [];
    for (let i = 0; i < LEADS; i += 1) {
      const response = await postJson(`${api.url}/v1/forms/contact`, { email: `budget${i}@example.com` });
      ids.push(((await response.json()) as { id: string }).id);
    }
    await waitFor(() => sim.leads().length >= LEADS, `${LEADS} leads`, 30_000, 100);
    expect(sim.leads().map((l) => String(l.fields.ORIGIN_ID)).sort()).toEqual([...ids].sort());
    expect(sim.stats().queryLimitExceeded).toBe(0);
    // One lead per request here: past the burst the pace is the bucket's drain rate, not two workers' worth.
    const times = sim.calls().filter((c) => c.method === 'crm.lead.add').map((c) => c.at);
    const spanSeconds = (Math.max(...times) - Math.min(...times)) / 1000;
    const burst = BUCKET.limit;
    expect((times.length - burst) / spanSeconds).toBeLessThanOrEqual(BUCKET.drainPerSecond * 1.15);
  });
});
