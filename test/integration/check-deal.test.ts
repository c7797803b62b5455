import { runCheck } from '../../src/cli/check';
import { buildConfig } from '../../src/config/load-config';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { SHARED_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis';

const prefix = uniquePrefix('check-deal');
let portal: Bitrix24Simulator;

beforeAll(async () => {
  portal = await startBitrix24Simulator({ crmMode: 'simple', dealCategories: [2] });
});
afterAll(async () => {
  await portal.close();
  await dropPrefix(prefix);
});

async function check(main: Record<string, unknown>, form: Record<string, unknown> = {}): Promise<{ ok: boolean; lines: string[] }> {
  const cfg = buildConfig({ redis: { url: SHARED_REDIS_URL, prefix }, destinations: { main: { webhookUrl: portal.webhookUrl, entity: 'deal', ...main } }, forms: { quote: { destination: 'main', ...form } } }, {});
  const lines: string[] = [];
  const ok = await runCheck(cfg, (line) => lines.push(line));
  return { ok, lines };
}

describe('leadgate check: a destination with entity: deal', () => {
  it('passes on a simple-mode portal without the conversion warning, and names the pipeline and stage', async () => {
    const { ok, lines } = await check({ deal: { categoryId: 2, stageId: 'C2:PREPARATION' } });
    expect(ok).toBe(true);
    expect(lines).toContain('✓ destination main: new deals start in pipeline 2 at C2:PREPARATION');
    expect(lines.some((l) => l.includes('crm.deal.fields'))).toBe(true);
    expect(lines.some((l) => l.includes('converted'))).toBe(false);
  });

  it('fails for a pipeline the portal does not have, and for a stage not in the pipeline', async () => {
    const missing = await check({ deal: { categoryId: 7 } });
    expect(missing.ok).toBe(false);
    expect(missing.lines).toContain('✗ destination main: deal pipeline 7 (deal.categoryId) does not exist on this portal (crm.status.list DEAL_STAGE_7 is empty)');
    const stage = await check({ deal: { stageId: 'SHIPPED' } });
    expect(stage.lines.find((l) => l.includes('SHIPPED'))).toMatch(/^✗ .*"SHIPPED" \(deal.stageId\) is not one of pipeline 0's: NEW, PREPARATION/);
  });

  it('looks each mapped field up where the deal mapping writes it, and warns about fields that go to the comments', async () => {
    const { ok, lines } = await check({}, { fields: { budget: 'UF_CRM_BUDGET', company: 'COMPANY_TITLE' } });
    expect(ok).toBe(false);
    expect(lines).toContain('✗ destination main: deal field UF_CRM_BUDGET (forms.quote.fields.budget) does not exist on this portal; Bitrix24 would silently drop its value');
    expect(lines.find((l) => l.startsWith('⚠') && l.includes('COMPANY_TITLE'))).toContain("written into the deal's COMMENTS");
  });
});
