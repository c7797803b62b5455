import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { callForm, callJson, type BatchResult } from './rest-client';

const add = (title: string) => `crm.lead.add?fields[TITLE]=${encodeURIComponent(title)}`;
const badEmail = 'crm.lead.add?fields[EMAIL][0][VALUE]=not-an-email&fields[EMAIL][0][VALUE_TYPE]=WORK';

describe('Bitrix24 simulator: batch', () => {
  let sim: Bitrix24Simulator;

  beforeEach(async () => {
    sim = await startBitrix24Simulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('with halt=0 runs every command; a bad one lands in result_error while the good ones commit', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
      halt: 0,
      cmd: { first: add('one'), broken: badEmail, third: add('three') },
    });
    expect(res.status).toBe(200);
    const batch = res.body.result as BatchResult;
    expect(batch.result).toEqual({ first: 1, third: 2 });
    expect(batch.result_error).toEqual({
      broken: { error: '', error_description: expect.stringContaining('not-an-email') },
    });
    // Empty PHP arrays serialize as [] — clients must not assume an object.
    expect(batch.result_total).toEqual([]);
    expect(batch.result_next).toEqual([]);
    expect(Object.keys(batch.result_time)).toEqual(['first', 'third']);
    expect(res.body.time).toMatchObject({ processing: expect.any(Number), operating: expect.any(Number) });
    expect(sim.leads().map((l) => l.fields.TITLE)).toEqual(['one', 'three']);
  });

  it('with halt=1 stops at the first error; later commands are absent', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
      halt: 1,
      cmd: { first: add('one'), broken: badEmail, never: add('never') },
    });
    const batch = res.body.result as BatchResult;
    expect(batch.result).toEqual({ first: 1 });
    expect(Object.keys(batch.result_error)).toEqual(['broken']);
    expect(sim.leads()).toHaveLength(1);
  });

  it('reads halt with PHP truthiness: the string "false" halts, "0" does not', async () => {
    const run = async (halt: string) =>
      (await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt, cmd: [badEmail, add('after')] })).body
        .result as BatchResult;
    expect((await run('false')).result).toEqual([]);
    expect((await run('0')).result).toEqual({ 1: expect.any(Number) });
  });

  it('keeps list-shaped cmd as lists in the response', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { cmd: [add('a'), add('b')] });
    const batch = res.body.result as BatchResult;
    expect(batch.result).toEqual([1, 2]);
    expect(Array.isArray(batch.result_time)).toBe(true);
  });

  it('runs the first 50 commands and answers the 51st+ with ERROR_BATCH_LENGTH_EXCEEDED', async () => {
    const cmd = Object.fromEntries(Array.from({ length: 52 }, (_, i) => [`c${i}`, add(`lead ${i}`)]));
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', { halt: 0, cmd });
    const batch = res.body.result as BatchResult;
    expect(Object.keys(batch.result)).toHaveLength(50);
    expect(batch.result_error).toEqual({
      c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
      c51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
    });
    expect(sim.leads()).toHaveLength(50);
  });

  it('refuses a nested batch and unknown methods per command', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
      cmd: { nested: 'batch?cmd[x]=crm.lead.fields', unknown: 'crm.lead.explode', ok: 'crm.lead.fields' },
    });
    const batch = res.body.result as BatchResult;
    expect(batch.result_error).toEqual({
      nested: { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' },
      unknown: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    expect(Object.keys(batch.result)).toEqual(['ok']);
  });

  it('moves list next/total into result_next/result_total', async () => {
    await callJson(sim.webhookUrl, 'batch', { cmd: Array.from({ length: 50 }, (_, i) => add(`l${i}`)) });
    await callJson(sim.webhookUrl, 'batch', { cmd: [add('51st')] });
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
      cmd: { page: 'crm.lead.list?select[]=ID', one: 'crm.lead.list?filter[ID]=51' },
    });
    const batch = res.body.result as BatchResult;
    expect(batch.result_total).toEqual({ page: 51, one: 1 });
    expect(batch.result_next).toEqual({ page: 50 });
  });

  it('resolves $result[...] references to earlier commands', async () => {
    const res = await callJson<BatchResult>(sim.webhookUrl, 'batch', {
      halt: 1,
      cmd: { lead: add('ref'), get: 'crm.lead.get?id=$result[lead]' },
    });
    const batch = res.body.result as BatchResult;
    expect((batch.result as Record<string, { TITLE: string }>).get?.TITLE).toBe('ref');
  });

  it('accepts the double-encoded form/URL variant of cmd', async () => {
    const res = await callForm<BatchResult>(
      sim.webhookUrl,
      'batch',
      'halt=0&cmd[0]=crm.lead.add%3Ffields%5BTITLE%5D%3DJohn%2526Martin',
    );
    expect((res.body.result as BatchResult).result).toEqual([1]);
    expect(sim.leads()[0]?.fields.TITLE).toBe('John&Martin');
  });

  it('logs the batch as one HTTP call plus one viaBatch entry per command', async () => {
    await callJson(sim.webhookUrl, 'batch', { cmd: { a: add('a'), b: badEmail } });
    const calls = sim.calls();
    expect(calls.filter((c) => !c.viaBatch)).toEqual([expect.objectContaining({ method: 'batch', status: 200, commands: 2 })]);
    expect(calls.filter((c) => c.viaBatch).map((c) => [c.method, c.status])).toEqual([
      ['crm.lead.add', 200],
      ['crm.lead.add', 400],
    ]);
    expect(sim.stats().requests).toBe(1);
  });
});
