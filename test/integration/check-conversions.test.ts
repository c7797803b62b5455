import { runCheck } from '../../src/cli/check';
import { buildConfig } from '../../src/config/load-config';
import { startBitrix24Simulator, startGoogleAdsSimulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { SHARED_REDIS_URL, dropPrefix, uniquePrefix } from '../helpers/redis';

let portal: Bitrix24Simulator;
const prefix = uniquePrefix('check-conversions');

beforeAll(async () => {
  portal = await startBitrix24Simulator();
});

afterAll(async () => {
  await portal.close();
  await dropPrefix(prefix);
});

function config(leadStatuses: Record<string, unknown>, dealStages: Record<string, unknown>) {
  return buildConfig(
    {
      redis: { url: SHARED_REDIS_URL, prefix },
      destinations: { main: { webhookUrl: portal.webhookUrl } },
      forms: {},
      conversions: {
        destinations: { main: { applicationToken: 'app-token-123' } },
        leadStatuses,
        dealStages,
        meta: { datasetId: '123', accessToken: 't' },
      },
    },
    {},
  );
}

async function check(cfg: ReturnType<typeof config>): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const ok = await runCheck(cfg, (line) => lines.push(line));
  return { ok, lines };
}

describe('leadgate check: conversions', () => {
  it('confirms mapped lead statuses and deal stages against crm.status.list', async () => {
    const { ok, lines } = await check(config({ IN_PROCESS: { meta: 'Qualified' } }, { WON: { meta: 'Converted' } }));
    expect(ok).toBe(true);
    expect(lines).toContain('✓ destination main: 2 mapped status(es)/stage(s) exist on the portal (conversions)');
  });

  it('names a status or stage the portal does not have, which would never fire', async () => {
    const { ok, lines } = await check(config({ QUALIFIED: { meta: 'Qualified' } }, { 'C3:WON': { meta: 'Converted' }, WONN: { meta: 'Converted' } }));
    expect(ok).toBe(false);
    expect(lines.filter((l) => l.startsWith('✗'))).toEqual([
      '✗ destination main: conversions.leadStatuses.QUALIFIED: "QUALIFIED" is not a lead status of this portal (STATUS: NEW, IN_PROCESS, PROCESSED, JUNK, CONVERTED); the mapping would never fire',
      '✗ destination main: conversions.dealStages.C3:WON: "C3:WON" is not a deal stage of this portal (DEAL_STAGE_3: none); the mapping would never fire',
      '✗ destination main: conversions.dealStages.WONN: "WONN" is not a deal stage of this portal (DEAL_STAGE: NEW, PREPARATION, PREPAYMENT_INVOICE, EXECUTING, FINAL_INVOICE, WON, LOSE, APOLOGY); the mapping would never fire',
    ]);
  });

  it('refuses a config whose stages name a platform that is not configured, or an unknown destination', () => {
    expect(() =>
      buildConfig({ redis: { url: SHARED_REDIS_URL }, destinations: { main: { webhookUrl: portal.webhookUrl } }, forms: {}, conversions: { destinations: { other: { applicationToken: 'app-token-123' } }, leadStatuses: { NEW: { google: 'Lead' } } } }, {}),
    ).toThrow(/conversions\/destinations\/other: no destination named "other"[\s\S]*conversions\/leadStatuses\/NEW\/google: conversions.google is not configured/);
  });

  it('signs in as the Google service account, and names a refused one', async () => {
    const google = await startGoogleAdsSimulator({ customerId: '1234567890', conversionActionIds: ['1'] });
    try {
      const withGoogle = (privateKey: string) =>
        buildConfig({
          redis: { url: SHARED_REDIS_URL, prefix },
          destinations: { main: { webhookUrl: portal.webhookUrl } },
          forms: {},
          conversions: {
            destinations: { main: { applicationToken: 'app-token-123' } },
            leadStatuses: { IN_PROCESS: { google: 'Qualified' } },
            google: { customerId: '1234567890', serviceAccount: { clientEmail: google.serviceAccount.clientEmail, privateKey, tokenUrl: google.tokenUrl }, ingestUrl: google.ingestUrl, conversionActions: { Qualified: '1' } },
          },
        }, {});
      const good = await check(withGoogle(google.serviceAccount.privateKey));
      expect(good.ok).toBe(true);
      expect(good.lines).toContain(`✓ conversions.google: the service account ${google.serviceAccount.clientEmail} signs in (Data Manager API scope)`);
      const { generateKeyPairSync } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
      const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
      const bad = await check(withGoogle(other));
      expect(bad.ok).toBe(false);
      expect(bad.lines.find((l) => l.startsWith('✗'))).toMatch(/^✗ conversions.google: Google refused the service account \(HTTP 400\).*invalid_grant \(Invalid JWT Signature.\)/);
    } finally {
      await google.close();
    }
  }, 30_000);
});
