/**
 * Console settings in config: named operators (admin.operators), a separate admin port, the public
 * URL the console shows in snippets, and the env-only shortcut for the operations token.
 */
import { buildConfig, configFromEnv } from '../../src/config/load-config';
import { hashOperatorTokenLines, newOperatorTokenLines } from '../../src/cli/operators';
import { findOperator, hashOperatorToken } from '../../src/shared/operator-tokens';

const base = {
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'console-config' },
  destinations: { main: { webhookUrl: 'https://portal.example/rest/1/abc/' } },
  forms: {},
};
const HASH = 'a'.repeat(64);

describe('console config', () => {
  it('takes named operators with the SHA-256 of their tokens, and an admin port and host', () => {
    const config = buildConfig({ ...base, admin: { operators: [{ name: 'alice', tokenHash: HASH }], port: 8082, host: '127.0.0.1' }, http: { publicUrl: 'https://leads.example.com' } }, {});
    expect(config.admin.operators).toEqual([{ name: 'alice', tokenHash: HASH }]);
    expect(config.admin).toMatchObject({ port: 8082, host: '127.0.0.1' });
    expect(config.admin.token).toBeUndefined();
    expect(config.http.publicUrl).toBe('https://leads.example.com');
  });

  it('refuses an operator token given in clear, a name used twice, and an admin port equal to http.port', () => {
    expect(() => buildConfig({ ...base, admin: { operators: [{ name: 'alice', tokenHash: 'not-a-hash' }] } }, {})).toThrow(/tokenHash/);
    expect(() => buildConfig({ ...base, admin: { operators: [{ name: 'alice', tokenHash: HASH }, { name: 'alice', tokenHash: 'b'.repeat(64) }] } }, {})).toThrow(/alice.*twice|twice.*alice/);
    expect(() => buildConfig({ ...base, http: { port: 9000 }, admin: { port: 9000 } }, {})).toThrow(/admin\/port/);
  });

  it('reads OPERATIONS_TOKEN and ADMIN_PORT in an env-only setup', () => {
    const raw = configFromEnv({ BITRIX24_WEBHOOK_URL: 'https://portal.example/rest/1/abc/', OPERATIONS_TOKEN: 'ops-token-0123456789', ADMIN_TOKEN: 'admin-token', ADMIN_PORT: '8082' });
    const config = buildConfig(raw, {});
    expect(config.http.operations.token).toBe('ops-token-0123456789');
    expect(config.admin).toMatchObject({ token: 'admin-token', port: 8082 });
    expect(buildConfig(configFromEnv({ BITRIX24_WEBHOOK_URL: 'https://portal.example/rest/1/abc/' }), {}).http.operations).toEqual({});
  });
});

describe('operator tokens', () => {
  it('prints a new token once with the config entry holding its hash, and finds the operator by it', () => {
    const lines = newOperatorTokenLines('alice');
    const token = lines[0]!.replace('token: ', '');
    const hash = hashOperatorToken(token);
    expect(token).toMatch(/^lgo_[A-Za-z0-9_-]{43}$/);
    expect(lines.join('\n')).toContain(`tokenHash: "${hash}"`);
    expect(lines.join('\n')).toContain('- name: alice');
    expect(hashOperatorTokenLines(token)).toEqual([hash]);
    const operators = [{ name: 'bob', tokenHash: HASH }, { name: 'alice', tokenHash: hash.toUpperCase() }];
    expect(findOperator(token, operators)).toBe('alice');
    expect(findOperator(`${token}x`, operators)).toBeUndefined();
    expect(() => hashOperatorTokenLines(' ')).toThrow();
  });
});
