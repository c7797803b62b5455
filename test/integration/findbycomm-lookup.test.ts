import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { Bitrix24Client } from '../../src/clients/bitrix24/bitrix24-client';
import { commCommands, findByComm, FINDBYCOMM_MAX_VALUES } from '../../src/clients/bitrix24/crm-lookups';

describe('#11 looking people up with crm.duplicate.findbycomm', () => {
  let sim: Bitrix24Simulator;
  let client: Bitrix24Client;
  beforeAll(async () => {
    sim = await startBitrix24Simulator();
    client = new Bitrix24Client({ webhookUrl: sim.webhookUrl, timeoutMs: 5000 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('splits values into commands of at most 20, one per (type, entity type)', () => {
    const values = Array.from({ length: 45 }, (_, i) => `p${i}@example.com`);
    const commands = commCommands([
      { type: 'EMAIL', values, entity: 'CONTACT' },
      { type: 'PHONE', values: ['+1'], entity: 'CONTACT' },
    ]);
    expect(commands.map((c) => (c.params.values as string[]).length)).toEqual([20, 20, 5, 1]);
    expect(commands.every((c) => (c.params.values as string[]).length <= FINDBYCOMM_MAX_VALUES)).toBe(true);
  });

  it('45 e-mails go out as one batch request the portal accepts, and every match comes back', async () => {
    const values = Array.from({ length: 45 }, (_, i) => `p${i}@example.com`);
    await fetch(`${sim.webhookUrl}crm.contact.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { NAME: 'Late', EMAIL: [{ VALUE: 'p44@example.com', VALUE_TYPE: 'WORK' }] } }),
    });
    const before = sim.stats().requests;
    const found = await findByComm(client, [{ type: 'EMAIL', values, entity: 'CONTACT' }]);
    expect(found.CONTACT).toEqual([1]);
    expect(sim.stats().requests - before).toBe(1);
    const sub = sim.calls().filter((c) => c.viaBatch && c.method === 'crm.duplicate.findbycomm');
    expect(sub).toHaveLength(3);
    // None was refused for too many values.
    expect(sim.calls().filter((c) => c.method === 'crm.duplicate.findbycomm' && c.status !== 200)).toHaveLength(0);
  });
});
