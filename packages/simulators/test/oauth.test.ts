import { startBitrix24Simulator, type Bitrix24Simulator } from '../src/bitrix24/bitrix24-simulator';
import { Bitrix24SimulatorClient } from '../src/bitrix24/simulator-client';
import { callGet, callJson, lead, type RestResponse } from './rest-client';

const APP = { clientId: 'local.65f0c0ffee.12345678', clientSecret: 'sim-secret' };

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires: number;
  expires_in: number;
  client_endpoint: string;
  server_endpoint: string;
  member_id: string;
  scope: string;
  status: string;
  user_id: number;
  domain: string;
}

describe('Bitrix24 simulator: OAuth application', () => {
  let sim: Bitrix24Simulator;

  beforeEach(async () => {
    sim = await startBitrix24Simulator({ oauth: APP });
  });
  afterEach(async () => {
    await sim.close();
  });

  const refreshUrl = (refreshToken: string, app: { clientId: string; clientSecret: string } = APP) =>
    `${sim.tokenUrl}?${new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      refresh_token: refreshToken,
    })}`;
  const refresh = async (refreshToken: string, app?: { clientId: string; clientSecret: string }) => {
    const res = await fetch(refreshUrl(refreshToken, app));
    return { status: res.status, body: (await res.json()) as TokenAnswer & { error?: string; error_description?: string } };
  };
  const oauthCall = <R>(token: string, method: string, params: Record<string, unknown> = {}): Promise<RestResponse<R>> =>
    callJson<R>(sim.clientEndpoint, method, { ...params, auth: token });

  describe('token endpoint', () => {
    it('refreshes by GET with a query string, answering like the reference', async () => {
      const installed = sim.issueOAuthTokens();
      const before = Math.floor(Date.now() / 1000);
      const res = await refresh(installed.refreshToken);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        ['access_token', 'client_endpoint', 'domain', 'expires', 'expires_in', 'member_id', 'refresh_token', 'scope', 'server_endpoint', 'status', 'user_id'],
      );
      expect(res.body).toMatchObject({
        client_endpoint: `${sim.url}/rest/`,
        server_endpoint: `${sim.url}/rest/`,
        domain: new URL(sim.url).host,
        expires_in: 3600,
        scope: 'crm',
        status: 'F',
        user_id: 1,
      });
      expect(res.body.access_token).toMatch(/^[0-9a-f]{32}$/);
      expect(res.body.refresh_token).toMatch(/^[0-9a-f]{32}$/);
      expect(res.body.member_id).toMatch(/^[0-9a-f]{32}$/);
      expect(res.body.expires).toBeGreaterThanOrEqual(before + 3600);
      expect(res.body.expires).toBeLessThanOrEqual(before + 3601);
      expect([res.body.access_token, res.body.refresh_token]).not.toContain(installed.accessToken);
      expect(res.body.refresh_token).not.toBe(installed.refreshToken);
      expect(sim.stats().tokenRefreshes).toBe(1);
    });

    it('refreshes by POST with a form body (the JS SDK way)', async () => {
      const { refreshToken } = sim.issueOAuthTokens();
      const res = await fetch(sim.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: APP.clientId, client_secret: APP.clientSecret, refresh_token: refreshToken }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as TokenAnswer;
      expect((await oauthCall(body.access_token, 'profile')).status).toBe(200);
    });

    it('takes each refresh token once: a used one answers 400 invalid_grant', async () => {
      const { refreshToken } = sim.issueOAuthTokens();
      const first = await refresh(refreshToken);
      expect(first.status).toBe(200);
      const again = await refresh(refreshToken);
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
      // The new pair goes on: its refresh token works, once.
      expect((await refresh(first.body.refresh_token)).status).toBe(200);
      expect(sim.stats().tokenRefreshes).toBe(2);
    });

    it('answers an unknown or revoked refresh token with invalid_grant', async () => {
      expect((await refresh('0123456789abcdef0123456789abcdef')).body.error).toBe('invalid_grant');
      const { refreshToken } = sim.issueOAuthTokens();
      sim.revokeRefreshTokens();
      const res = await refresh(refreshToken);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(sim.stats().tokenRefreshes).toBe(0);
    });

    it('answers a wrong client id or secret with 401 invalid_client and keeps the refresh token usable', async () => {
      const { refreshToken } = sim.issueOAuthTokens();
      for (const app of [{ ...APP, clientSecret: 'wrong' }, { ...APP, clientId: 'local.other' }]) {
        const res = await refresh(refreshToken, app);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('invalid_client');
      }
      expect((await refresh(refreshToken)).status).toBe(200);
    });

    it('rejects a request without grant_type or with another grant', async () => {
      const missing = await callGet(`${sim.tokenUrl}?client_id=${APP.clientId}`);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
      const code = await callGet(`${sim.tokenUrl}?grant_type=authorization_code&code=x`);
      expect(code.status).toBe(400);
      expect(code.body.error).toBe('unsupported_grant_type');
    });

    it('is not part of the portal: no bucket, no faults, no call log', async () => {
      sim.setPlan({ drainPerSecond: 0, limit: 0 });
      sim.injectFault({ kind: 'html-500', count: 5 });
      const { refreshToken } = sim.issueOAuthTokens();
      expect((await refresh(refreshToken)).status).toBe(200);
      expect(sim.calls()).toEqual([]);
      expect(sim.stats()).toMatchObject({ requests: 0, bucketLevel: 0 });
    });
  });

  describe('REST calls with an access token', () => {
    it('accepts the token as `auth` in the JSON body, `auth`/`access_token` in the query, or a Bearer header', async () => {
      const { accessToken } = sim.issueOAuthTokens();
      expect((await oauthCall<number>(accessToken, 'crm.lead.add.json', lead({ TITLE: 'body' }))).body.result).toBe(1);
      expect((await callGet<number>(`${sim.clientEndpoint}crm.lead.add?auth=${accessToken}&fields[TITLE]=query`)).body.result).toBe(2);
      expect((await callGet(`${sim.clientEndpoint}profile?access_token=${accessToken}`)).status).toBe(200);
      const bearer = await fetch(`${sim.clientEndpoint}crm.lead.add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify(lead({ TITLE: 'header' })),
      });
      expect(bearer.status).toBe(200);
      expect(sim.leads().map((l) => l.fields.TITLE)).toEqual(['body', 'query', 'header']);
    });

    it('answers no token with 401 NO_AUTH_FOUND and an unknown one with 401 invalid_token', async () => {
      const none = await callJson(sim.clientEndpoint, 'crm.lead.add', lead({ TITLE: 'x' }));
      expect(none.status).toBe(401);
      expect(none.body).toEqual({ error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
      const unknown = await oauthCall('ffffffffffffffffffffffffffffffff', 'crm.lead.add', lead({ TITLE: 'x' }));
      expect(unknown.status).toBe(401);
      expect(unknown.body).toEqual({ error: 'invalid_token', error_description: 'The access token provided is invalid' });
      expect(sim.leads()).toEqual([]);
    });

    it('answers an expired token with the documented 401 expired_token, before executing anything', async () => {
      const installed = sim.issueOAuthTokens();
      sim.expireAccessTokens();
      const res = await oauthCall(installed.accessToken, 'crm.lead.add', lead({ TITLE: 'x' }));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'expired_token', error_description: 'The access token provided has expired' });
      expect(sim.leads()).toEqual([]);
      expect(sim.calls().at(-1)).toMatchObject({ method: 'crm.lead.add', status: 401, error: 'expired_token' });
      const renewed = await refresh(installed.refreshToken);
      expect((await oauthCall<number>(renewed.body.access_token, 'crm.lead.add', lead({ TITLE: 'x' }))).body.result).toBe(1);
    });

    it('expires access tokens after accessTokenTtlSeconds', async () => {
      const short = await startBitrix24Simulator({ oauth: { ...APP, accessTokenTtlSeconds: 1 } });
      try {
        const { accessToken } = short.issueOAuthTokens();
        expect((await callJson(short.clientEndpoint, 'profile', { auth: accessToken })).status).toBe(200);
        await new Promise((r) => setTimeout(r, 1100));
        expect((await callJson(short.clientEndpoint, 'profile', { auth: accessToken })).body.error).toBe('expired_token');
      } finally {
        await short.close();
      }
    });

    it('keeps an access token valid until it expires even after its pair was refreshed', async () => {
      const installed = sim.issueOAuthTokens();
      expect((await refresh(installed.refreshToken)).status).toBe(200);
      expect((await oauthCall(installed.accessToken, 'profile')).status).toBe(200);
    });

    it('runs batch with the parent call’s token', async () => {
      const { accessToken } = sim.issueOAuthTokens();
      const res = await oauthCall<{ result: Record<string, number> }>(accessToken, 'batch', {
        halt: 0,
        cmd: { a: 'crm.lead.add?fields[TITLE]=a', b: 'crm.lead.add?fields[TITLE]=b' },
      });
      expect(res.status).toBe(200);
      expect(res.body.result?.result).toEqual({ a: 1, b: 2 });
    });

    it('counts OAuth calls in the portal bucket and applies injected faults, as for webhooks', async () => {
      const { accessToken } = sim.issueOAuthTokens();
      sim.injectFault({ kind: 'error', count: 1, status: 500, error: 'INTERNAL_SERVER_ERROR', description: 'Internal server error' });
      expect((await oauthCall(accessToken, 'profile')).status).toBe(500);
      sim.setPlan({ drainPerSecond: 0, limit: 1 });
      expect((await oauthCall(accessToken, 'profile')).status).toBe(200);
      expect((await callJson(sim.webhookUrl, 'profile')).status).toBe(200);
      const refused = await oauthCall(accessToken, 'profile');
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('QUERY_LIMIT_EXCEEDED');
    });

    it('keeps the operating limit per application, apart from the webhook', async () => {
      const limited = await startBitrix24Simulator({ oauth: APP, operatingLimitSeconds: 0.05, processingMs: 60 });
      try {
        const { accessToken } = limited.issueOAuthTokens();
        const call = (auth?: string) =>
          callJson(auth ? limited.clientEndpoint : limited.webhookUrl, 'crm.lead.add', { ...lead({ TITLE: 'x' }), ...(auth ? { auth } : {}) });
        expect((await call(accessToken)).status).toBe(200);
        const blocked = await call(accessToken);
        expect(blocked.status).toBe(429);
        expect(blocked.body.error).toBe('OPERATION_TIME_LIMIT');
        expect((await call()).status).toBe(200); // the webhook has its own budget
        // A refreshed token belongs to the same app, so the block stays.
        const { accessToken: other } = limited.issueOAuthTokens();
        expect((await call(other)).status).toBe(429);
      } finally {
        await limited.close();
      }
    });

    it('knows no token when started without an OAuth app', async () => {
      const plain = await startBitrix24Simulator();
      try {
        expect((await callJson(plain.clientEndpoint, 'profile', { auth: 'abc' })).body.error).toBe('invalid_token');
        expect(() => plain.issueOAuthTokens()).toThrow(/OAuth is not enabled/);
        expect((await callGet(`${plain.tokenUrl}?grant_type=refresh_token&client_id=a&client_secret=b&refresh_token=c`)).body.error).toBe(
          'invalid_client',
        );
      } finally {
        await plain.close();
      }
    });
  });

  describe('control API', () => {
    it('issues, expires and revokes tokens over /_sim/oauth and reports refreshes in stats', async () => {
      const client = new Bitrix24SimulatorClient(sim.url);
      expect(await client.info()).toMatchObject({
        clientEndpoint: `${sim.url}/rest/`,
        tokenUrl: `${sim.url}/oauth/token/`,
        oauth: { clientId: APP.clientId },
      });
      const pair = await client.issueOAuthTokens();
      expect((await oauthCall(pair.accessToken, 'profile')).status).toBe(200);
      await client.expireAccessTokens();
      expect((await oauthCall(pair.accessToken, 'profile')).body.error).toBe('expired_token');
      const renewed = await refresh(pair.refreshToken);
      expect((await client.stats()).tokenRefreshes).toBe(1);
      await client.revokeRefreshTokens();
      expect((await refresh(renewed.body.refresh_token)).body.error).toBe('invalid_grant');
      // reset() clears counters but keeps the app's tokens.
      await client.reset();
      expect((await client.stats()).tokenRefreshes).toBe(0);
      expect((await oauthCall(renewed.body.access_token, 'profile')).status).toBe(200);
    });

    it('refuses OAuth control routes when no app is installed', async () => {
      const plain = await startBitrix24Simulator();
      try {
        await expect(new Bitrix24SimulatorClient(plain.url).issueOAuthTokens()).rejects.toThrow(/400 OAuth is not enabled/);
        expect((await new Bitrix24SimulatorClient(plain.url).info()).oauth).toBeNull();
      } finally {
        await plain.close();
      }
    });
  });
});
