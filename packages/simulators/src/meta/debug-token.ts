import { authorizePageToken, graphError, isAnswer, proofOf, type GraphAnswer } from './graph-answers';
import type { MetaSimState } from './sim-state';

/**
 * `GET /debug_token?input_token=…&access_token=…`: the caller proves itself with the app token
 * (`{app-id}|{app-secret}`) or a valid token of the app; the answer describes the input token in
 * `data` (is_valid, expires_at, data_access_expires_at, scopes, granular_scopes, and an `error`
 * when it is not valid), as the debug_token reference shows.
 */
export function debugToken(state: MetaSimState, appId: string, appSecret: string, url: URL): GraphAnswer {
  const accessToken = url.searchParams.get('access_token');
  if (accessToken !== `${appId}|${appSecret}`) {
    const caller = authorizePageToken(state, appSecret, url);
    if (isAnswer(caller)) return caller;
  } else {
    const proof = url.searchParams.get('appsecret_proof');
    if (proof !== null && proof !== proofOf(accessToken, appSecret)) return graphError(400, 100, 'GraphMethodException', 'Invalid appsecret_proof provided in the API argument');
  }
  const input = url.searchParams.get('input_token');
  if (!input) return graphError(400, 100, 'OAuthException', 'The parameter input_token is required');
  const info = state.describeToken(input);
  const pageId = state.pageOfToken(input);
  const data: Record<string, unknown> = {
    app_id: appId,
    type: 'PAGE',
    application: 'leadgate simulator',
    data_access_expires_at: info.dataAccessExpiresAt,
    expires_at: info.expiresAt,
    is_valid: info.isValid,
    scopes: info.known ? info.scopes : [],
  };
  if (pageId) {
    data.profile_id = pageId;
    data.granular_scopes = info.scopes.filter((s) => s.startsWith('pages_') || s === 'leads_retrieval').map((scope) => ({ scope, target_ids: [pageId] }));
  }
  if (!info.isValid) {
    data.error = info.expired
      ? { code: 190, subcode: 463, message: `Error validating access token: Session has expired on ${new Date().toUTCString()}.` }
      : info.known
        ? { code: 190, subcode: 467, message: 'Error validating access token: The session has been invalidated.' }
        : { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' };
  }
  return { status: 200, body: { data } };
}
