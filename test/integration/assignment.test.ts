import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { buildConfig } from '../../src/config/load-config';
import { startLeadgate, type RunningLeadgate } from '../../src/runtime/services';
import { silentLogger } from '../../src/shared/logger';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { postJson } from '../helpers/stack';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { waitFor } from '../helpers/wait-for';

let sim: Bitrix24Simulator;
let api: RunningLeadgate;
const workers: ChildProcess[] = [];
const prefix = uniquePrefix('assignment');
const redis = new IORedis(SHARED_REDIS_URL);

const raw = (webhookUrl: string) => ({
  redis: { url: SHARED_REDIS_URL, prefix },
  admin: { token: 'admin-secret' },
  http: { port: 0, host: '127.0.0.1' },
  worker: { port: 0, host: '127.0.0.1' },
  delivery: { backoff: { baseDelayMs: 50, maxDelayMs: 200 }, concurrency: 4 },
  destinations: { main: { webhookUrl, plan: 'enterprise', assign: { users: [7, 8, 9] } } },
  forms: {
    sales: { set: { ASSIGNED_BY_ID: 1 }, assign: { users: [21, 22], strategy: 'round-robin' } },
    support: {},
    night: { assign: { users: [31, { id: 32, workingHours: { timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: '00:00', to: '24:00' } }], workingHours: { timezone: 'UTC', from: '00:00', to: '00:00' } } },
  },
  acceptAnyForm: false,
});

async function submit(form: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await postJson(`${api.url}/v1/forms/${form}`, { email: `person${i}@example.com` });
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

async function assigned(ids: string[]): Promise<number[]> {
  const leads = await waitFor(() => {
    const found = ids.map((id) => sim.leads().find((l) => l.fields.ORIGIN_ID === id));
    return found.every(Boolean) ? found : undefined;
  }, `${ids.length} leads delivered`, 30_000, 50);
  return leads.map((l) => Number(l!.fields.ASSIGNED_BY_ID));
}

beforeAll(async () => {
  sim = await startBitrix24Simulator({ plan: 'enterprise' });
  api = await startLeadgate({ config: buildConfig(raw(sim.webhookUrl), {}), role: 'api', logger: silentLogger });
  const file = join(mkdtempSync(join(tmpdir(), 'leadgate-assign-')), 'leadgate.yaml');
  writeFileSync(file, JSON.stringify(raw(sim.webhookUrl)));
  workers.push(spawnLeadgate(['worker', '--config', file]), spawnLeadgate(['worker', '--config', file]));
});

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(workers.map(exited));
  await api.stop();
  await sim.close();
  await dropPrefix(prefix);
  redis.disconnect();
});

describe('assignment pools (ASSIGNED_BY_ID chosen at delivery)', () => {
  it('round-robin across two worker processes splits a form\'s leads evenly, over a static ASSIGNED_BY_ID', async () => {
    const users = await assigned(await submit('sales', 20));
    expect(users.filter((u) => u === 21)).toHaveLength(10);
    expect(users.filter((u) => u === 22)).toHaveLength(10);
    // One counter per pool, in Redis, with a TTL (it only spaces turns).
    expect(await redis.get(`${prefix}:assign:form:sales`)).toBe('20');
    expect(await redis.ttl(`${prefix}:assign:form:sales`)).toBeGreaterThan(0);
  });

  it('a form without a pool of its own uses its destination\'s', async () => {
    const users = await assigned(await submit('support', 6));
    expect([...users].sort()).toEqual([7, 7, 8, 8, 9, 9]);
  });

  it('skips users outside their working hours; with nobody in hours it would use the whole list', async () => {
    const users = await assigned(await submit('night', 4));
    expect(users).toEqual([32, 32, 32, 32]);
  });

  it('keeps the user of a lead across retries and shows it in the status', async () => {
    const turns = Number(await redis.get(`${prefix}:assign:form:sales`));
    sim.injectFault({ kind: 'error', count: 2, status: 500, error: 'INTERNAL_SERVER_ERROR', method: 'crm.lead.add' });
    const [id] = await submit('sales', 1);
    const [user] = await assigned([id!]);
    expect(user).toBe(turns % 2 === 0 ? 21 : 22);
    expect(await redis.get(`${prefix}:assign:form:sales`)).toBe(String(turns + 1));
    const status = (await (await fetch(`${api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } })).json()) as { assignedTo: number; history: Array<{ outcome: string }> };
    expect(status.history.map((h) => h.outcome)).toContain('retry');
    expect(status.assignedTo).toBe(user);
  });
});
