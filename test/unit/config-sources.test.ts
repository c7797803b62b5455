import { ConfigError, buildConfig, loadConfig } from '../../src/config/load-config';

const B24 = 'https://p.bitrix24.com/rest/1/abc/';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration of sources', () => {
  it('leaves every source off by default', () => {
    expect(loadConfig({ env: { BITRIX24_WEBHOOK_URL: B24 } }).sources).toEqual({ partners: {}, webhooks: {} });
  });

  it('reads Meta and Google settings from the environment', () => {
    const config = loadConfig({
      env: {
        BITRIX24_WEBHOOK_URL: B24,
        META_APP_SECRET: 'app-secret',
        META_VERIFY_TOKEN: 'verify-me',
        META_PAGE_TOKENS: '1234567890:EAAB-one, 987654321:EAAB:two',
        META_GRAPH_URL: 'http://127.0.0.1:8091',
        GOOGLE_LEAD_KEYS: 'first-google-key, second-google-key',
      },
    });
    expect(config.sources?.meta).toMatchObject({
      appSecret: 'app-secret',
      verifyToken: 'verify-me',
      graphUrl: 'http://127.0.0.1:8091',
      graphVersion: 'v25.0',
      destination: 'main',
      pages: { '1234567890': { accessToken: 'EAAB-one' }, '987654321': { accessToken: 'EAAB:two' } },
    });
    expect(config.sources?.google).toMatchObject({ keys: ['first-google-key', 'second-google-key'], testLeads: 'deliver' });
    expect(Object.isFrozen(config.sources?.meta?.pages)).toBe(true);
  });

  it('names a malformed META_PAGE_TOKENS entry without echoing its token', () => {
    const found = problems(() => loadConfig({ env: { BITRIX24_WEBHOOK_URL: B24, META_PAGE_TOKENS: '123:ok,secret-token-without-page' } }));
    expect(found).toEqual(['META_PAGE_TOKENS: entry 2 must be PAGE_ID:TOKEN (digits, a colon, the Page access token)']);
    expect(found.join()).not.toContain('secret-token');
  });

  it('refuses a source that names a destination that does not exist, wherever it is named', () => {
    const found = problems(() =>
      buildConfig({
        redis: { url: 'redis://x' },
        http: {},
        delivery: {},
        destinations: { eu: { webhookUrl: B24 } },
        forms: {},
        sources: {
          meta: { appSecret: 's', destination: 'eu', pages: { '1': { accessToken: 't', destination: 'us', forms: { '2': { destination: 'apac' } } } } },
          google: { keys: ['0123456789'] },
          partners: { acme: { keyHashes: ['a'.repeat(64)], destination: 'eu' }, globex: { keyHashes: ['b'.repeat(64)] } },
        },
      }, {}),
    );
    expect(found).toEqual([
      '/sources/meta/pages/1/destination: no destination named "us" (have: eu)',
      '/sources/meta/pages/1/forms/2/destination: no destination named "apac" (have: eu)',
      '/sources/google/destination: no destination named "main" (have: eu)',
      '/sources/partners/globex/destination: no destination named "main" (have: eu)',
    ]);
  });

  it('validates sources with the rest of the config', () => {
    const found = problems(() => buildConfig({ redis: { url: 'redis://x' }, http: {}, delivery: {}, destinations: { main: { webhookUrl: B24 } }, forms: {}, sources: { partners: { acme: { keyHashes: ['plain-key'] } }, snapchat: {} } }, {}));
    expect(found).toEqual(expect.arrayContaining(['/sources: unknown property "snapchat"', '/sources/partners/acme/keyHashes/0: must match pattern "^[0-9a-f]{64}$"']));
  });
});
