import { runCheck } from '../../src/cli/check';
import { buildConfig } from '../../src/config/load-config';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { SHARED_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis';

let portal: Bitrix24Simulator;
const prefix = uniquePrefix('check');

beforeAll(async () => {
  // A portal that has one custom field, UF_CRM_BUDGET.
  portal = await startBitrix24Simulator({ customFields: ['UF_CRM_BUDGET'] });
});

afterAll(async () => {
  await portal.close();
  await dropPrefix(prefix);
});

function config(form: Record<string, unknown>, webhookUrl = portal.webhookUrl) {
  return buildConfig(
    {
      redis: { url: SHARED_REDIS_URL, prefix },
      http: {},
      delivery: {},
      destinations: { main: { webhookUrl } },
      forms: { contact: { destination: 'main', ...form } },
    },
    {},
  );
}

async function check(cfg: ReturnType<typeof config>): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const ok = await runCheck(cfg, (line) => lines.push(line));
  return { ok, lines };
}

describe('leadgate check', () => {
  it('passes a setup whose fields and values the portal knows', async () => {
    const { ok, lines } = await check(config({ fields: { budget: 'UF_CRM_BUDGET', company: 'COMPANY_TITLE' }, set: { SOURCE_ID: 'WEB', STATUS_ID: 'NEW' } }));
    expect(ok).toBe(true);
    expect(lines[0]).toMatch(/^✓ redis/);
    expect(lines[1]).toMatch(/^✓ destination main: the portal answers crm.lead.fields/);
    expect(lines.at(-1)).toBe('all checks passed');
  });

  it('names a mapped field the portal does not have, whose values Bitrix24 would silently drop', async () => {
    const { ok, lines } = await check(config({ fields: { budget: 'UF_CRM_BUGDET' } }));
    expect(ok).toBe(false);
    expect(lines).toContain('✗ destination main: lead field UF_CRM_BUGDET (forms.contact.fields.budget) does not exist on this portal; Bitrix24 would silently drop its value');
    // What the check warns about really happens: the portal keeps no value for an unknown field.
    const answer = await fetch(`${portal.webhookUrl}crm.lead.add.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { TITLE: 't', UF_CRM_BUGDET: '10k', UF_CRM_BUDGET: '5k' } }),
    });
    const { result } = (await answer.json()) as { result: number };
    const stored = portal.leads().find((l) => l.ID === result)!.fields;
    expect(stored.UF_CRM_BUDGET).toBe('5k');
    expect(stored.UF_CRM_BUGDET).toBeUndefined();
  });

  it('names a SOURCE_ID the portal does not know', async () => {
    const { ok, lines } = await check(config({ set: { SOURCE_ID: 'LANDING' } }));
    expect(ok).toBe(false);
    expect(lines.some((l) => l.startsWith('✗ destination main: SOURCE_ID "LANDING" (forms.contact.set.SOURCE_ID) is not one of the portal\'s: CALL'))).toBe(true);
  });

  it('reports credentials the portal refuses', async () => {
    const { ok, lines } = await check(config({}, portal.webhookUrl.replace('leadgatesim', 'wrong-code')));
    expect(ok).toBe(false);
    expect(lines.find((l) => l.startsWith('✗ destination main'))).toMatch(/INVALID_CREDENTIALS/);
  });

  it('reports an unreachable Redis and stops there', async () => {
    const cfg = buildConfig({ redis: { url: 'redis://127.0.0.1:1', prefix }, http: {}, delivery: {}, destinations: { main: { webhookUrl: portal.webhookUrl } }, forms: {} }, {});
    const { ok, lines } = await check(cfg);
    expect(ok).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^✗ redis redis:\/\/127.0.0.1:1: /);
  });
});

describe('leadgate check: list fields, required fields and assigned users, as the portal is set up', () => {
  let setUp: Bitrix24Simulator;
  const SEGMENTS = [
    { ID: 44, VALUE: 'Retail' },
    { ID: 45, VALUE: 'Wholesale' },
  ];

  beforeAll(async () => {
    setUp = await startBitrix24Simulator({
      customFields: ['UF_CRM_BUDGET'],
      listFields: { UF_CRM_SEGMENT: SEGMENTS },
      users: [
        { ID: 1, NAME: 'Admin' },
        { ID: 7, NAME: 'Ann' },
        { ID: 9, NAME: 'Bob', ACTIVE: false },
      ],
    });
  });

  afterEach(() => {
    setUp.setRequiredFields([]);
    setUp.setScopes(['crm', 'user', 'basic']);
  });

  afterAll(async () => {
    await setUp.close();
  });

  function setUpConfig(form: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return buildConfig(
      {
        redis: { url: SHARED_REDIS_URL, prefix },
        http: {},
        delivery: {},
        destinations: { main: { webhookUrl: setUp.webhookUrl } },
        forms: { contact: { destination: 'main', ...form } },
        ...extra,
      },
      {},
    );
  }

  it('passes a list field set to one of its item IDs and a required field the mapping fills', async () => {
    setUp.setRequiredFields(['UF_CRM_BUDGET', 'PHONE']);
    const { ok, lines } = await check(setUpConfig({ fields: { budget: 'UF_CRM_BUDGET' }, set: { UF_CRM_SEGMENT: 45 } }));
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([]);
    expect(ok).toBe(true);
  });

  it('names a set value outside a list field\'s items, which Bitrix24 silently ignores, and points a label to its ID', async () => {
    const { ok, lines } = await check(setUpConfig({ set: { UF_CRM_SEGMENT: 'Wholesale' } }));
    expect(ok).toBe(false);
    expect(lines).toContain(
      '✗ destination main: list field UF_CRM_SEGMENT (forms.contact.set.UF_CRM_SEGMENT) would get "Wholesale", which is not one of its items (44 "Retail", 45 "Wholesale"); Bitrix24 would silently store nothing; "Wholesale" is the label of item 45: set the ID',
    );
    // What the check warns about really happens: the lead is created and the value is not stored.
    const answer = await fetch(`${setUp.webhookUrl}crm.lead.add.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { TITLE: 't', UF_CRM_SEGMENT: 'Wholesale' } }),
    });
    const { result } = (await answer.json()) as { result: number };
    expect(setUp.leads().find((l) => l.ID === result)!.fields.UF_CRM_SEGMENT).toBeUndefined();
  });

  it('names a consent field that is a list field: its Y/N are not items either', async () => {
    const { ok, lines } = await check(setUpConfig({ consent: { field: 'UF_CRM_SEGMENT' } }));
    expect(ok).toBe(false);
    expect(lines.filter((l) => l.includes('(forms.contact.consent.field) would get'))).toHaveLength(2);
  });

  it('names a portal-required field that no form or source maps or sets, which would make Bitrix24 refuse every lead', async () => {
    setUp.setRequiredFields(['UF_CRM_BUDGET', 'ADDRESS_CITY', 'ASSIGNED_BY_ID']);
    const { ok, lines } = await check(setUpConfig({ fields: { city: 'ADDRESS_CITY' } }));
    expect(ok).toBe(false);
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([
      '✗ destination main: the portal requires lead field UF_CRM_BUDGET, which no form or source maps or sets; Bitrix24 would refuse every lead',
    ]);
    // The refusal the check foresees.
    const answer = await fetch(`${setUp.webhookUrl}crm.lead.add.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { TITLE: 't', ADDRESS_CITY: 'Berlin' } }),
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: '', error_description: 'Field "UF_CRM_BUDGET" (UF_CRM_BUDGET) is required.' });
  });

  it('counts a field as filled when any form or source for the destination fills it (here a partner\'s fieldMap)', async () => {
    setUp.setRequiredFields(['UF_CRM_BUDGET']);
    const partners = { acme: { keyHashes: ['a'.repeat(64)], destination: 'main', fieldMap: { budget: 'UF_CRM_BUDGET' } } };
    const { ok, lines } = await check(setUpConfig({}, { sources: { partners } }));
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([]);
    expect(ok).toBe(true);
  });

  it('names assigned users who do not exist or are inactive, from every pool that names them', async () => {
    const assign = (users: number[]) => ({ users, strategy: 'round-robin' });
    const cfg = setUpConfig({ assign: assign([7, 9, 404]) }, {
      destinations: { main: { webhookUrl: setUp.webhookUrl, assign: assign([1, 404]) } },
    });
    const { ok, lines } = await check(cfg);
    expect(ok).toBe(false);
    expect(lines.filter((l) => /assigned user/.test(l))).toEqual([
      '✗ destination main: assigned user 404 (destinations.main.assign, forms.contact.assign) does not exist on this portal',
      '✗ destination main: assigned user 9 (forms.contact.assign) is inactive (dismissed); leads assigned to them reach nobody',
    ]);
  });

  it('confirms assigned users who exist and are active', async () => {
    const { ok, lines } = await check(setUpConfig({ assign: { users: [1, { id: 7 }], strategy: 'random' } }));
    expect(ok).toBe(true);
    expect(lines).toContain('✓ destination main: 2 assigned user(s) exist and are active');
  });

  it('says it could not check assigned users when the webhook lacks the user scope, without failing', async () => {
    setUp.setScopes(['crm']);
    const { ok, lines } = await check(setUpConfig({ assign: { users: [7, 404], strategy: 'round-robin' } }));
    expect(ok).toBe(true);
    expect(lines).toContain('⚠ destination main: could not check the assigned users (7, 404): the webhook has no `user` scope, which user.get needs');
  });
});
