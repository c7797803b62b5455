import { ConfigError, buildConfig } from '../../src/config/load-config';
import { createBitrix24Client } from '../../src/clients/bitrix24/create-client';
import type { Redis } from 'ioredis';

const OAUTH = {
  clientId: 'local.65f0c0ffee.12345678',
  clientSecret: 's3cret',
  accessToken: 'a'.repeat(32),
  refreshToken: 'r'.repeat(32),
  clientEndpoint: 'https://portal.bitrix24.com/rest/',
};
const WEBHOOK = 'https://p.bitrix24.com/rest/1/xyz/';

function raw(destination: Record<string, unknown>): Record<string, unknown> {
  return {
    redis: { url: 'redis://127.0.0.1:6379' },
    http: {},
    delivery: {},
    destinations: { main: destination },
    forms: { contact: { destination: 'main' } },
  };
}

function problems(destination: Record<string, unknown>): string[] {
  try {
    buildConfig(raw(destination), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('destination config: webhook or OAuth application', () => {
  it('accepts an OAuth destination and defaults the token endpoint', () => {
    const config = buildConfig(raw({ oauth: OAUTH, plan: 'enterprise' }), {});
    const main = config.destinations.main!;
    expect(main.webhookUrl).toBeUndefined();
    expect(main.oauth).toEqual({ ...OAUTH, tokenUrl: 'https://oauth.bitrix.info/oauth/token/' });
    expect(main).toMatchObject({ plan: 'enterprise', timeoutMs: 30000 });
    // The factory takes a destination straight from config.
    const client = createBitrix24Client('main', main, { redis: {} as Redis, prefix: 'lg' });
    expect(client).toBeDefined();
  });

  it('still accepts a webhook destination', () => {
    expect(buildConfig(raw({ webhookUrl: WEBHOOK }), {}).destinations.main).toMatchObject({ webhookUrl: WEBHOOK, plan: 'standard' });
  });

  it('names both ways in when a destination has neither', () => {
    expect(problems({ plan: 'standard' })).toEqual([
      '/destinations/main: missing required property "webhookUrl"',
      '/destinations/main: missing required property "oauth"',
      '/destinations/main: must match exactly one schema in oneOf',
    ]);
  });

  it('refuses a destination with both a webhook and an OAuth app', () => {
    expect(problems({ webhookUrl: WEBHOOK, oauth: OAUTH })).toEqual(['/destinations/main: must match exactly one schema in oneOf']);
  });

  it('checks the oauth block field by field', () => {
    const { refreshToken: _dropped, ...withoutRefresh } = OAUTH;
    expect(problems({ oauth: { ...withoutRefresh, clientEndpoint: 'https://portal.bitrix24.com/rest/1/abc/', extra: 1 } })).toEqual(
      expect.arrayContaining([
        '/destinations/main/oauth: missing required property "refreshToken"',
        '/destinations/main/oauth: unknown property "extra"',
        '/destinations/main/oauth/clientEndpoint: must match pattern "^https?://[^/]+(/.*)?/rest/$"',
      ]),
    );
  });
});
