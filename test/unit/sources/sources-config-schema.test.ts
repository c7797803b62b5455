import { buildSources } from './source-configs';

describe('sources config (config.schema.json#/properties/sources)', () => {
  it('switches a source off by leaving it out, and defaults partners to none', () => {
    expect(buildSources({})).toEqual({ partners: {}, webhooks: {} });
  });

  it('fills Meta defaults: Graph URL and version, ADVERTISING, deliver test leads, destination main', () => {
    const { meta } = buildSources({ meta: { appSecret: 's', pages: { '123': { accessToken: 't' } } } });
    expect(meta).toMatchObject({
      graphUrl: 'https://graph.facebook.com',
      graphVersion: 'v25.0',
      graphTimeoutMs: 10000,
      fieldMap: {},
      utm: {},
      sourceId: 'ADVERTISING',
      testLeads: 'deliver',
      destination: 'main',
      trackingField: 'COMMENTS',
    });
  });

  it('fills partner defaults: PARTNER, a rate limit, no description (the name is used)', () => {
    const { partners } = buildSources({ partners: { acme: { keyHashes: ['a'.repeat(64)] } } });
    expect(partners.acme).toEqual({
      keyHashes: ['a'.repeat(64)],
      destination: 'main',
      rateLimit: { windowMs: 60000, limit: 60 },
      sourceId: 'PARTNER',
      fieldMap: {},
      trackingField: 'COMMENTS',
    });
  });

  it('refuses a plain key where a SHA-256 hash belongs, and a page id that is not digits', () => {
    expect(() => buildSources({ partners: { acme: { keyHashes: ['my-secret-key'] } } })).toThrow(/keyHashes/);
    expect(() => buildSources({ meta: { pages: { mypage: { accessToken: 't' } } } })).toThrow(/propertyName/);
  });

  it('accepts a UTM rule with a key switched off', () => {
    const { google } = buildSources({ google: { keys: ['0123456789'], utm: { medium: 'ppc', content: '{creative_id}', campaign: null } } });
    expect(google?.utm).toEqual({ medium: 'ppc', content: '{creative_id}', campaign: null });
  });
});
