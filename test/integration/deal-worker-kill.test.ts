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
import { sleep, waitFor } from '../helpers/wait-for';

type View = { status: string; entity?: string; crm?: { dealId?: number; contactId?: number; commentId?: number }; history: Array<{ outcome: string }> };

let sim: Bitrix24Simulator;
let api: RunningLeadgate;
let rescuer: RunningLeadgate | undefined;
let crashing: ChildProcess | undefined;
const prefix = uniquePrefix('deal-kill');
let raw: Record<string, unknown>;
let file: string;

beforeAll(async () => {
  sim = await startBitrix24Simulator();
  raw = {
    redis: { url: SHARED_REDIS_URL, prefix },
    admin: { token: 'admin-secret' },
    http: { port: 0, host: '127.0.0.1' },
    worker: { port: 0, host: '127.0.0.1' },
    delivery: { lockDurationMs: 1500, backoff: { baseDelayMs: 50, maxDelayMs: 200 } },
    destinations: { main: { webhookUrl: sim.webhookUrl }, deals: { webhookUrl: sim.webhookUrl, entity: 'deal' } },
    forms: { deal: { destination: 'deals' }, update: { destination: 'main', duplicates: { match: ['email'], action: 'update' } } },
  };
  file = join(mkdtempSync(join(tmpdir(), 'leadgate-deal-kill-')), 'leadgate.yaml');
  writeFileSync(file, JSON.stringify(raw));
  api = await startLeadgate({ config: buildConfig(raw, {}), role: 'api', logger: silentLogger });
});

afterEach(async () => {
  crashing?.kill('SIGKILL');
  await rescuer?.stop();
  rescuer = undefined;
});

afterAll(async () => {
  await api.stop();
  await sim.close();
  await dropPrefix(prefix);
});

async function submit(form: string, body: Record<string, string>): Promise<string> {
  const response = await postJson(`${api.url}/v1/forms/${form}`, body);
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function delivered(id: string): Promise<View> {
  return waitFor(async () => {
    const answer = await fetch(`${api.url}/v1/leads/${id}`, { headers: { authorization: 'Bearer admin-secret' } });
    const body = (await answer.json()) as View;
    return body.status === 'delivered' ? body : undefined;
  }, 'the lead delivered by the second worker', 20_000, 100);
}

/** A worker process that sends, then is SIGKILLed once `committed()` sees the portal hold the result. */
async function killAfterCommit(committed: () => boolean): Promise<void> {
  crashing = spawnLeadgate(['worker', '--config', file]);
  await waitFor(committed, 'the portal committed the request', 20_000, 50);
  crashing.kill('SIGKILL');
  await exited(crashing);
  crashing = undefined;
  rescuer = await startLeadgate({ config: buildConfig(raw, {}), role: 'worker', logger: silentLogger });
}

describe('#11 a worker killed between the contact+deal batch and recording it', () => {
  it('leaves exactly one deal and one contact: the next worker finds them by ORIGIN_ID', async () => {
    // The portal runs the batch, then answers slowly: the worker dies before it hears back.
    sim.injectFault({ kind: 'delay', count: 1, ms: 3000, method: 'batch' });
    const id = await submit('deal', { name: 'Kim Cole', email: 'kim@example.com' });
    await killAfterCommit(() => sim.crmRecords('deal').some((d) => d.ORIGIN_ID === id));
    const view = await delivered(id);
    await sleep(300);
    const deals = sim.crmRecords('deal').filter((d) => d.ORIGIN_ID === id);
    const contacts = sim.crmRecords('contact').filter((c) => c.ORIGIN_ID === id);
    expect(deals).toHaveLength(1);
    expect(contacts).toHaveLength(1);
    expect(view).toMatchObject({ entity: 'deal', crm: { dealId: Number(deals[0]!.ID), contactId: Number(contacts[0]!.ID) } });
    expect(view.history.map((a) => a.outcome)).toEqual(['reconciled']);
  }, 60_000);
});

describe('#11 a worker killed while the `update` comment is being added', () => {
  it('does not add the comment twice: the next worker finds it by the marker leadgate wrote into it', async () => {
    const person = (await (await postJson(`${sim.webhookUrl}crm.lead.add`, { fields: { TITLE: 'Earlier', EMAIL: [{ VALUE: 'lou@example.com', VALUE_TYPE: 'WORK' }] } })).json()) as { result: number };
    sim.injectFault({ kind: 'delay', count: 1, ms: 3000, method: 'crm.timeline.comment.add' });
    const id = await submit('update', { name: 'Lou Park', email: 'lou@example.com', message: 'again' });
    await killAfterCommit(() => sim.timelineComments().some((c) => c.COMMENT.includes(id)));
    const view = await delivered(id);
    await sleep(300);
    const comments = sim.timelineComments().filter((c) => c.COMMENT.includes(`[leadgate ${id}]`));
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ ENTITY_TYPE: 'lead', ENTITY_ID: String(person.result) });
    expect(view).toMatchObject({ crm: { commentId: Number(comments[0]!.ID) } });
    expect(view.history.map((a) => a.outcome)).toEqual(['reconciled']);
    expect(sim.leads()).toHaveLength(1);
  }, 60_000);
});
