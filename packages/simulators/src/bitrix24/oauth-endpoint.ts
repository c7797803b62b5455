/**
 * `/oauth/token/` of the authorization server (oauth.bitrix.info on the real cloud), refresh grant
 * only: GET with a query string as in auto-renewal.md and the PHP SDK, or POST with a form body as
 * the JS SDK sends it. It sits outside the portal, so the bucket, faults and call log do not apply.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-reply';
import type { PhpArray } from './php-query';
import { parseRestParams, readBody } from './request-params';
import type { SimulatorState } from './simulator-state';

/** The scope a lead gateway's app is installed with. */
const APP_SCOPE = 'crm';

export async function handleOAuthToken(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  rawQuery: string,
  baseUrl: string,
): Promise<void> {
  const body = await readBody(req);
  if (req.method !== 'GET' && req.method !== 'POST') {
    return oauthError(res, 405, 'invalid_request', 'The request method must be GET or POST');
  }
  const params = await parseRestParams(req, body, rawQuery);
  const grantType = text(params, 'grant_type');
  if (!grantType) return oauthError(res, 400, 'invalid_request', 'Invalid grant_type parameter or parameter missing');
  if (grantType !== 'refresh_token') {
    return oauthError(res, 400, 'unsupported_grant_type', 'The simulator implements the refresh_token grant only');
  }
  const tokens = state.oauth;
  if (!tokens || !tokens.checkClient(text(params, 'client_id'), text(params, 'client_secret'))) {
    return oauthError(res, 401, 'invalid_client', 'The client credentials are invalid');
  }
  const refreshToken = text(params, 'refresh_token');
  if (!refreshToken) return oauthError(res, 400, 'invalid_request', 'No refresh_token parameter was found');
  const pair = tokens.redeem(refreshToken);
  if (!pair) return oauthError(res, 400, 'invalid_grant', 'Invalid refresh token: unknown, already used or revoked');
  state.counters.tokenRefreshes++;
  // Keys in the order of the reference's sample answer.
  sendJson(res, 200, {
    access_token: pair.accessToken,
    client_endpoint: `${baseUrl}/rest/`,
    domain: new URL(baseUrl).host,
    expires: pair.expires,
    expires_in: tokens.app.accessTokenTtlSeconds,
    member_id: state.memberId,
    refresh_token: pair.refreshToken,
    scope: APP_SCOPE,
    server_endpoint: `${baseUrl}/rest/`,
    status: 'F',
    user_id: state.userId,
  });
}

function text(params: PhpArray, name: string): string {
  const value = params[name];
  return typeof value === 'string' ? value : '';
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}
