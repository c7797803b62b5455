import type { GraphTokenInfo } from '../../src/clients/meta/graph-client';
import { assessToken, tokenRejected } from '../../src/worker/meta-token-assessment';

const PAGE = '123456';
const NOW = Date.parse('2026-03-01T00:00:00Z');
const nowUnix = NOW / 1000;
const info = (over: Partial<GraphTokenInfo> = {}): GraphTokenInfo => ({
  isValid: true, expiresAt: 0, dataAccessExpiresAt: 0, scopes: ['leads_retrieval', 'pages_show_list'],
  granularScopes: new Map([['leads_retrieval', [PAGE]]]), ...over,
});

describe('assessToken: what a debug_token answer means for reading a Page\'s leads', () => {
  it('is ok for a valid, never-expiring token with leads_retrieval for this Page', () => {
    expect(assessToken(info(), PAGE, NOW, 7)).toMatchObject({ status: 'ok', paused: false, via: 'debug_token' });
  });

  it('warns (not paused) when the token or its data access ends within warnDays, naming the earlier', () => {
    expect(assessToken(info({ expiresAt: nowUnix + 3 * 86400 }), PAGE, NOW, 7)).toMatchObject({ status: 'expiring', paused: false, reason: expect.stringContaining('in 3.0 days') });
    const data = assessToken(info({ expiresAt: nowUnix + 6 * 86400, dataAccessExpiresAt: nowUnix + 86400 }), PAGE, NOW, 7);
    expect(data.reason).toMatch(/data access of 123456 expires at 2026-03-02T00:00:00.000Z/);
    expect(assessToken(info({ expiresAt: nowUnix + 8 * 86400 }), PAGE, NOW, 7).status).toBe('ok');
  });

  it('says missing_permission without leads_retrieval, or with it granted only for other Pages', () => {
    expect(assessToken(info({ scopes: ['pages_show_list'] }), PAGE, NOW, 7)).toMatchObject({ status: 'missing_permission', paused: false });
    expect(assessToken(info({ granularScopes: new Map([['leads_retrieval', ['999']]]) }), PAGE, NOW, 7).status).toBe('missing_permission');
  });

  it('pauses for an expired or invalid token, with the fix in the reason', () => {
    expect(assessToken(info({ expiresAt: nowUnix - 1 }), PAGE, NOW, 7)).toMatchObject({ status: 'expired', paused: true });
    const invalid = assessToken(info({ isValid: false, error: { code: 190, subcode: 460, message: 'password changed' } }), PAGE, NOW, 7);
    expect(invalid).toMatchObject({ status: 'invalid', paused: true });
    expect(invalid.reason).toMatch(/Meta: "password changed".*sources\.meta\.pages\.123456\.accessToken and restart the workers/);
  });

  it('turns a refused call into a paused verdict that quotes Meta once', () => {
    const verdict = tokenRejected(PAGE, { details: { code: 190, subcode: 463, graphMessage: 'Session has expired' } }, NOW);
    expect(verdict).toMatchObject({ status: 'expired', paused: true, via: 'graph_error' });
    expect(verdict.reason).toBe(
      'Meta refused the Page token of 123456 (code 190, subcode 463): "Session has expired"; reads of this Page wait: issue a new long-lived Page access token (from a user who can advertise on the Page, with leads_retrieval), set it in sources.meta.pages.123456.accessToken and restart the workers; waiting reads then resume',
    );
  });
});
