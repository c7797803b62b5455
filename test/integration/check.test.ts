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
