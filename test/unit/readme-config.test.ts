import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildConfig } from '../../src/config/load-config';

/** The configuration shown in README.md must be what leadgate accepts, not a sketch of it. */
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Record<string, unknown>);
const env = {
  BITRIX24_WEBHOOK_URL: 'https://example.bitrix24.com/rest/1/abc123/',
  B24_MAIN_WEBHOOK: 'https://example.bitrix24.com/rest/1/abc123/',
  B24_SALES_WEBHOOK: 'https://sales.bitrix24.com/rest/1/def456/',
  ADMIN_TOKEN: 't',
  ACME_CLIENT_SECRET: 's',
  ACME_ACCESS_TOKEN: 'a',
  ACME_REFRESH_TOKEN: 'r',
  META_APP_SECRET: 'm',
  META_VERIFY_TOKEN: 'v',
  META_PAGE_TOKEN: 'p',
  GOOGLE_LEAD_KEY: 'a-long-google-key',
  TILDA_TOKEN: 'a-long-tilda-token-0001',
  TYPEFORM_SECRET: 'typeform-secret',
  QUOTE_SECRET: 'quote-secret',
  LINKEDIN_CLIENT_SECRET: 'linkedin-secret',
  LINKEDIN_ACCESS_TOKEN: 'AQV-token',
  LINKEDIN_REFRESH_TOKEN: 'AQW-token',
  TIKTOK_APP_SECRET: 'tiktok-secret',
};

describe('README configuration examples', () => {
  it('has the full example, the several-portals example and the sources example', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it('the full example is a valid configuration', () => {
    expect(() => buildConfig(blocks[0], env)).not.toThrow();
  });

  it('the several-portals and sources examples are valid added to it', () => {
    const [full, portals, sources] = blocks as [Record<string, unknown>, Record<string, Record<string, unknown>>, Record<string, unknown>];
    const merged = {
      ...full,
      destinations: { ...(full.destinations as object), ...portals.destinations },
      forms: { ...(full.forms as object), ...portals.forms },
      ...sources,
    };
    const config = buildConfig(merged, env);
    expect(config.destinations['client-acme']?.oauth?.clientEndpoint).toBe('https://acme.bitrix24.com/rest/');
    expect(config.forms['acme-landing']?.destination).toBe('client-acme');
    expect(config.destinations.sales).toMatchObject({ entity: 'deal', deal: { categoryId: 2, stageId: 'C2:NEW' } });
  });
});
