import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildConfig } from '../../src/config/load-config';

/** The README's `conversions` example is what leadgate accepts, added to the full example. */
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
const env = {
  B24_MAIN_WEBHOOK: 'https://example.bitrix24.com/rest/1/abc123/',
  BITRIX24_WEBHOOK_URL: 'https://example.bitrix24.com/rest/1/abc123/',
  ADMIN_TOKEN: 't',
  B24_EVENTS_TOKEN: 'outgoing-webhook-token',
  META_CAPI_TOKEN: 'EAAB-capi',
  GOOGLE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n',
};

describe('README conversions example', () => {
  it('is a valid configuration added to the full example', () => {
    const example = blocks.find((b) => 'conversions' in b);
    expect(example).toBeDefined();
    const config = buildConfig({ ...blocks[0], ...example }, env);
    expect(config.conversions?.leadStatuses.IN_PROCESS).toEqual({ meta: 'Qualified', google: 'Qualified lead', value: false });
    expect(config.conversions?.meta?.batchSize).toBe(200);
    expect(config.conversions?.google?.conversionActions.Sale).toBe('987654322');
  });
});
