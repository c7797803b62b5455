import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'leadgate-cfg-')), 'leadgate.yaml');
  writeFileSync(path, text);
  return path;
}

describe('configuration', () => {
  it('runs from environment variables alone, accepting any form', () => {
    const config = loadConfig({ env: { BITRIX24_WEBHOOK_URL: 'https://p.bitrix24.com/rest/1/abc/', PORT: '9000', ADMIN_TOKEN: 't' } });
    expect(config.http.port).toBe(9000);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.destinations.main?.plan).toBe('standard');
    expect(config.acceptAnyForm).toBe(true);
    expect(config.admin.token).toBe('t');
    expect(Object.isFrozen(config.delivery)).toBe(true);
  });

  it('runs the API as one process unless http.processes (API_PROCESSES) says a count or auto', () => {
    const env = { BITRIX24_WEBHOOK_URL: 'https://p.bitrix24.com/rest/1/abc/' };
    expect(loadConfig({ env }).http.processes).toBe(1);
    expect(loadConfig({ env: { ...env, API_PROCESSES: '4' } }).http.processes).toBe(4);
    expect(loadConfig({ env: { ...env, API_PROCESSES: 'auto' } }).http.processes).toBe('auto');
    expect(() => loadConfig({ env: { ...env, API_PROCESSES: '0' } })).toThrow(/processes/);
    expect(() => loadConfig({ env: { ...env, API_PROCESSES: 'many' } })).toThrow(/processes/);
  });

  it('interpolates ${VAR} and ${VAR:-default} in YAML', () => {
    const path = file(`
redis: { url: "\${REDIS_URL:-redis://127.0.0.1:6379}", prefix: lg }
http: { port: 8080 }
delivery: {}
destinations:
  main: { webhookUrl: "\${B24}", plan: enterprise }
forms:
  contact: { destination: main, honeypot: website, fields: { budget: UF_CRM_BUDGET } }
`);
    const config = loadConfig({ file: path, env: { B24: 'https://p.bitrix24.com/rest/1/xyz/' } });
    expect(config.destinations.main).toMatchObject({ webhookUrl: 'https://p.bitrix24.com/rest/1/xyz/', plan: 'enterprise', timeoutMs: 30000 });
    expect(config.forms.contact).toMatchObject({ honeypot: 'website', requireContact: true, trackingField: 'COMMENTS' });
    expect(config.acceptAnyForm).toBe(false);
  });

  it('names the path and the problem of every mistake', () => {
    const path = file(`
redis: { url: "redis://x" }
http: { port: 99999 }
delivery: { atempts: 3 }
destinations:
  main: { webhookUrl: "https://p.bitrix24.com/rest/1/xyz/", plan: gold }
forms:
  contact: { destination: nowhere }
`);
    let error: ConfigError | undefined;
    try {
      loadConfig({ file: path, env: {} });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        '/http/port: must be <= 65535',
        '/delivery: unknown property "atempts"',
        '/destinations/main/plan: must be one of standard, enterprise',
      ]),
    );
  });

  it('refuses a missing variable and a form pointing at an unknown destination', () => {
    expect(() => loadConfig({ file: file('destinations: { main: { webhookUrl: "${NOPE}" } }'), env: {} })).toThrow(/NOPE is not set/);
    const path = file(`
redis: { url: "redis://x" }
http: {}
delivery: {}
destinations: { main: { webhookUrl: "https://p.bitrix24.com/rest/1/xyz/" } }
forms: { contact: { destination: nowhere } }
`);
    expect(() => loadConfig({ file: path, env: {} })).toThrow(/no destination named "nowhere"/);
  });
});

describe('configuration from nothing', () => {
  it('says what to set instead of a schema error', () => {
    expect(() => loadConfig({ env: {} })).toThrow(/set BITRIX24_WEBHOOK_URL .* or give a YAML file with --config or LEADGATE_CONFIG/);
  });
});
