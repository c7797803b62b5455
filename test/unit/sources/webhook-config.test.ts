import { ConfigError, buildConfig } from '../../../src/config/load-config';

const base = { redis: { url: 'redis://127.0.0.1:6379' }, forms: {}, destinations: { main: { webhookUrl: 'https://p.bitrix24.com/rest/1/abc/' } } };
const withHooks = (webhooks: Record<string, unknown>) => buildConfig({ ...base, sources: { webhooks } }, {});

function problems(webhooks: Record<string, unknown>): string[] {
  try {
    withHooks(webhooks);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('sources.webhooks configuration', () => {
  it('fills a one-line preset with its vendor settings', () => {
    const hooks = withHooks({ forms: { preset: 'typeform', secret: 'typeform-secret' } }).sources!.webhooks!;
    expect(hooks.forms).toMatchObject({
      preset: 'typeform',
      auth: { type: 'hmac', header: 'Typeform-Signature', algorithm: 'sha256', encoding: 'base64', prefix: 'sha256=', secret: 'typeform-secret' },
      format: 'json',
      id: '/form_response/token',
      destination: 'main',
      sourceId: 'WEB',
      title: 'Typeform: {name}',
    });
  });

  it('lets the entry override the preset: its fields over the defaults, its auth whole', () => {
    const hooks = withHooks({
      site: { preset: 'tilda', auth: { type: 'token', header: 'X-Tilda-Key', token: 'a-long-shared-token' }, fields: { Company: 'UF_CRM_COMPANY' } },
      cf: { preset: 'cf7', token: 'a-long-shared-token', fields: { 'your-message': 'UF_CRM_MESSAGE' } },
    }).sources!.webhooks!;
    expect(hooks.site?.auth).toEqual({ type: 'token', header: 'X-Tilda-Key', token: 'a-long-shared-token' });
    expect(hooks.site?.fields).toEqual({ Company: 'UF_CRM_COMPANY' });
    expect(hooks.cf?.fields).toMatchObject({ 'your-name': 'FULL_NAME', 'your-message': 'UF_CRM_MESSAGE' });
    expect(hooks.cf?.auth).toEqual({ type: 'token', token: 'a-long-shared-token', query: 'token' });
  });

  it('refuses an unknown preset, naming the path', () => {
    expect(problems({ landing: { preset: 'wix', token: 'a-long-shared-token' } })).toEqual([
      '/sources/webhooks/landing/preset: must be one of tilda, typeform, unbounce, webflow, cf7, elementor',
    ]);
  });

  it('refuses a mapping to something that is neither a lead field nor a Bitrix24 code, naming the path', () => {
    const found = problems({ x: { preset: 'tilda', token: 'a-long-shared-token', fields: { '/contact/mail': 'e-mail' } } });
    expect(found).toEqual([expect.stringMatching(/^\/sources\/webhooks\/x\/fields\/~1contact~1mail: must match pattern/)]);
  });

  it('refuses a malformed JSON Pointer as a field path, naming the key', () => {
    const found = problems({ x: { preset: 'tilda', token: 'a-long-shared-token', fields: { '/bad~2escape': 'email' } } });
    expect(found).toEqual([expect.stringMatching(/^\/sources\/webhooks\/x\/fields\/~1bad~02escape: is not an allowed name/)]);
  });

  it('refuses a preset without its credential, and a credential without a preset', () => {
    expect(problems({ tf: { preset: 'typeform' } })).toEqual(['/sources/webhooks/tf/secret: required (the typeform signing secret)']);
    expect(problems({ t: { preset: 'tilda' } })).toEqual(['/sources/webhooks/t/token: required (a shared token of at least 16 characters)']);
    expect(problems({ raw: { token: 'a-long-shared-token', format: 'json', auth: { type: 'token', token: 'a-long-shared-token' } } })).toEqual([
      "/sources/webhooks/raw/token: only fills a preset's auth; without a preset, write auth out",
    ]);
  });

  it('refuses a webhook without auth or format when there is no preset', () => {
    expect(problems({ raw: {} })).toEqual(['/sources/webhooks/raw/auth: required without a preset', '/sources/webhooks/raw/format: required without a preset (json or urlencoded)']);
  });

  it('requires allowed addresses with auth none, and checks each is an address or range', () => {
    expect(problems({ open: { auth: { type: 'none' }, format: 'json' } })).toEqual([
      '/sources/webhooks/open/allowedIps: required when auth is none (anyone could post leads otherwise)',
    ]);
    expect(problems({ open: { auth: { type: 'none' }, format: 'json', allowedIps: ['10.0.0.0/8', 'example.com', '2001:db8::/129'] } })).toEqual([
      '/sources/webhooks/open/allowedIps/1: "example.com" is not an IP address or CIDR range',
      '/sources/webhooks/open/allowedIps/2: "2001:db8::/129" is not an IP address or CIDR range',
    ]);
  });

  it('refuses hmac settings on a token, a jsonField on JSON and an unknown destination', () => {
    expect(problems({ x: { auth: { type: 'token', token: 'a-long-shared-token', encoding: 'hex' }, format: 'json' } })).toEqual([
      expect.stringMatching(/^\/sources\/webhooks\/x\/auth\/encoding: /),
    ]);
    expect(problems({ x: { preset: 'typeform', secret: 'typeform-secret', jsonField: 'data.json' } })).toEqual(['/sources/webhooks/x/jsonField: only with format urlencoded']);
    expect(problems({ x: { preset: 'tilda', token: 'a-long-shared-token', destination: 'nowhere' } })).toEqual(['/sources/webhooks/x/destination: no destination named "nowhere" (have: main)']);
  });
});
