import { runCheck } from '../../src/cli/check';
import { buildConfig } from '../../src/config/load-config';
import { startBitrix24Simulator } from '@leadgate/simulators';
import { SHARED_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis';

const prefix = uniquePrefix('check-crm-mode');
afterAll(async () => {
  await dropPrefix(prefix);
});

async function checkAgainst(crmMode: 'classic' | 'simple'): Promise<{ ok: boolean; lines: string[] }> {
  const portal = await startBitrix24Simulator({ crmMode });
  try {
    const cfg = buildConfig({ redis: { url: SHARED_REDIS_URL, prefix }, http: {}, delivery: {}, destinations: { main: { webhookUrl: portal.webhookUrl } }, forms: {} }, {});
    const lines: string[] = [];
    const ok = await runCheck(cfg, (line) => lines.push(line));
    return { ok, lines };
  } finally {
    await portal.close();
  }
}

describe('leadgate check: the CRM mode', () => {
  it('reports a classic portal', async () => {
    const { ok, lines } = await checkAgainst('classic');
    expect(ok).toBe(true);
    expect(lines).toContain('✓ destination main: CRM mode classic');
    expect(lines.some((l) => l.startsWith('⚠'))).toBe(false);
  });

  it('reports simple mode with a warning that leads become contacts and deals (not a failure)', async () => {
    const { ok, lines } = await checkAgainst('simple');
    expect(ok).toBe(true);
    expect(lines).toContain('✓ destination main: CRM mode simple');
    expect(lines.find((l) => l.startsWith('⚠'))).toMatch(/simple CRM mode.*contact and a deal/);
  });
});
