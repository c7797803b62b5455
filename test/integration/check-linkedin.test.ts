import { startLinkedInSimulator, type LinkedInSimulator } from '@leadgate/simulators';
import { runCheck } from '../../src/cli/check';
import { buildConfig } from '../../src/config/load-config';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { SHARED_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis';

let portal: Bitrix24Simulator;
const prefix = uniquePrefix('check-linkedin');
const SECRET = 'linkedin-secret-0001';

beforeAll(async () => {
  portal = await startBitrix24Simulator({});
});
afterAll(async () => {
  await portal.close();
  await dropPrefix(prefix);
});

async function check(li: LinkedInSimulator, extra: Record<string, unknown> = {}): Promise<{ ok: boolean; lines: string[] }> {
  const config = buildConfig({
    redis: { url: SHARED_REDIS_URL, prefix },
    destinations: { main: { webhookUrl: portal.webhookUrl } },
    forms: {},
    sources: { linkedin: { clientId: '86abcdefghijkl', clientSecret: SECRET, accessToken: 'AQV-1', tokenUrl: `${li.url}/oauth/v2/accessToken`, apiUrl: li.url, ...extra } },
  }, {});
  const lines: string[] = [];
  return { ok: await runCheck(config, (line) => lines.push(line)), lines };
}

describe('leadgate check: LinkedIn', () => {
  it('reports an active token with the lead scope, and fails a revoked one without a refresh token', async () => {
    const li = await startLinkedInSimulator({ clientSecret: SECRET, accessToken: 'AQV-1' });
    try {
      const good = await check(li);
      expect(good.ok).toBe(true);
      expect(good.lines).toContainEqual(expect.stringMatching(/^✓ linkedin: the token is active, expires in 5[89] days$/));
      li.revokeAll();
      const bad = await check(li);
      expect(bad.ok).toBe(false);
      expect(bad.lines).toContainEqual(expect.stringMatching(/^✗ linkedin: the access token is revoked and no refreshToken is configured/));
    } finally {
      await li.close();
    }
  });

  it('fails a token without r_marketing_leadgen_automation', async () => {
    const li = await startLinkedInSimulator({ clientSecret: SECRET, accessToken: 'AQV-1', scope: 'r_liteprofile' });
    try {
      const { ok, lines } = await check(li);
      expect(ok).toBe(false);
      expect(lines).toContainEqual('✗ linkedin: the token lacks r_marketing_leadgen_automation (has r_liteprofile); lead responses cannot be read');
    } finally {
      await li.close();
    }
  });
});
