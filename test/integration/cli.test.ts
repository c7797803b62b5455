import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { runDlqCommand } from '../../src/cli/dlq';
import { deliveryQueueName } from '../../src/queue/jobs';
import { freePort } from '../../src/runtime/private-redis';
import { startBitrix24Simulator } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';
import { exited, spawnLeadgate } from '../helpers/spawn-leadgate';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

describe('leadgate dlq', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('cli-dlq');
  });
  afterAll(async () => {
    await stack.stop();
  });

  it('lists, shows, replays and purges dead letters', async () => {
    stack.sim.injectFault({ kind: 'error', count: 2, status: 400, error: '', description: 'Invalid value for field SOURCE_ID' });
    const ids: string[] = [];
    for (const email of ['dlq1@example.com', 'dlq2@example.com']) {
      ids.push(((await (await postJson(`${stack.api.url}/v1/forms/contact`, { email })).json()) as { id: string }).id);
    }
    const out: string[] = [];
    const run = async (command: Parameters<typeof runDlqCommand>[1]): Promise<string[]> => {
      out.length = 0;
      await runDlqCommand(stack.config, command, (line) => out.push(line));
      return [...out];
    };
    await waitFor(async () => (await run({ action: 'list', limit: 50 })).length === 3, 'two dead letters');
    const listed = out.slice(0, 2).map((line) => JSON.parse(line) as { id: string; reason: string; attempts: number });
    expect(listed.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(listed[0]!.reason).toContain('Invalid value for field SOURCE_ID');
    expect(out[2]).toBe('# 2 of 2 dead letters');

    const [shown] = await run({ action: 'show', id: ids[0]! });
    expect(JSON.parse(shown!)).toMatchObject({ lead: { id: ids[0] }, code: '', attempts: [{ outcome: 'dead' }] });

    expect(await run({ action: 'replay', id: ids[0]!, all: false })).toEqual([`replayed ${ids[0]}`]);
    await waitFor(() => stack.sim.leads().some((l) => l.fields.ORIGIN_ID === ids[0]), 'replayed lead delivered');

    await expect(run({ action: 'purge', confirmed: false })).rejects.toThrow(/add --yes/);
    expect(await run({ action: 'purge', confirmed: true })).toEqual(['purged 1 dead letters']);
    expect(await run({ action: 'list', limit: 50 })).toEqual(['# 0 of 0 dead letters']);
    await expect(run({ action: 'replay', id: ids[1]!, all: false })).rejects.toThrow(/no dead letter/);
  });
});

describe('leadgate start', () => {
  it('on SIGTERM finishes its work and exits 0; every acknowledged lead is delivered or still queued, none twice', async () => {
    const sim = await startBitrix24Simulator();
    const prefix = uniquePrefix('cli-start');
    const port = await freePort();
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-start-')), 'leadgate.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        redis: { url: SHARED_REDIS_URL, prefix },
        http: { port, host: '127.0.0.1' },
        worker: { port: 0 },
        delivery: {},
        destinations: { main: { webhookUrl: sim.webhookUrl } },
        forms: { contact: {} },
      }),
    );
    const child = spawnLeadgate(['start', '--config', file]);
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 'leadgate listening', 20_000, 100);
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(((await (await postJson(`${url}/v1/forms/contact`, { email: `term${i}@example.com` })).json()) as { id: string }).id);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      const delivered = sim.leads().map((l) => String(l.fields.ORIGIN_ID));
      // Leads not yet sent when the signal came stay queued for the next worker; none is lost or doubled.
      expect(new Set(delivered).size).toBe(delivered.length);
      expect(delivered.every((id) => ids.includes(id))).toBe(true);
      const queue = new Queue(deliveryQueueName('main'), { connection: { url: SHARED_REDIS_URL }, prefix });
      const waiting = await queue.getJobs(['wait', 'delayed', 'prioritized', 'active']);
      await queue.close();
      expect(waiting.map((j) => j.id).filter((id) => !delivered.includes(String(id))).length + delivered.length).toBe(ids.length);
    } finally {
      child.kill('SIGKILL');
      await sim.close();
      await dropPrefix(prefix);
    }
  });

  it('refuses an invalid config with the path of every problem and exit code 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leadgate-bad-')), 'leadgate.yaml');
    writeFileSync(file, 'redis: { url: "redis://x" }\nhttp: { port: 99999 }\ndelivery: {}\ndestinations: {}\nforms: {}\n');
    const child = spawnLeadgate(['start', '--config', file], { captureStderr: true });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('invalid configuration');
    expect(stderr).toContain('/http/port: must be <= 65535');
    expect(stderr).toContain('/destinations: must NOT have fewer than 1 properties');
  });
});

describe('leadgate sim bitrix24 --oauth-client-id', () => {
  it('serves an OAuth app whose printed token pair works against /rest/', async () => {
    const port = await freePort();
    const child = spawnLeadgate(['sim', 'bitrix24', '--port', String(port), '--oauth-client-id', 'local.cli'], { captureStdout: true });
    try {
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const token = await waitFor(() => /accessToken (\w+)/.exec(stdout)?.[1], 'the printed token pair', 20_000, 50);
      const answer = await fetch(`http://127.0.0.1:${port}/rest/crm.lead.add.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: token, fields: { TITLE: 'via OAuth' } }),
      });
      expect(await answer.json()).toMatchObject({ result: 1 });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });
});

describe('leadgate sim bitrix24 --operating-limit-seconds', () => {
  it("blocks a method with OPERATION_TIME_LIMIT once its execution time in 10 minutes passes the limit", async () => {
    const port = await freePort();
    const child = spawnLeadgate(['sim', 'bitrix24', '--port', String(port), '--operating-limit-seconds', '0.02'], { captureStdout: true });
    try {
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const webhookUrl = await waitFor(() => /webhook URL:\s+(\S+)/.exec(stdout)?.[1], 'the printed webhook URL', 20_000, 50);
      expect(stdout).toContain('operating limit 0.02 s per 10 min');
      // Each call is charged the simulator's nominal 10 ms: the third passes the limit, the fourth is refused.
      const answers: unknown[] = [];
      for (let n = 0; n < 4; n++) {
        const answer = await fetch(`${webhookUrl}crm.lead.add.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fields: { TITLE: `call ${n}` } }) });
        answers.push({ status: answer.status, ...((await answer.json()) as object) });
      }
      expect(answers.slice(0, 3)).toEqual([expect.objectContaining({ status: 200 }), expect.objectContaining({ status: 200 }), expect.objectContaining({ status: 200 })]);
      expect(answers[3]).toMatchObject({ status: 429, error: 'OPERATION_TIME_LIMIT' });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('refuses a limit that is not a number of seconds', async () => {
    const child = spawnLeadgate(['sim', 'bitrix24', '--port', String(await freePort()), '--operating-limit-seconds', 'lots'], { captureStderr: true });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).not.toBe(0);
    expect(stderr).toContain('--operating-limit-seconds must be a number of seconds, got "lots"');
  });
});
