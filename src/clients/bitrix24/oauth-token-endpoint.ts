/**
 * One refresh-grant request to the Bitrix24 authorization server (reference §6): GET with the
 * parameters in the query, as the PHP SDK and auto-renewal.md do. Failures come back as typed
 * DeliveryErrors; nothing here touches Redis.
 */
import { DestinationUnavailableError, RetryableDeliveryError } from '../delivery-errors';

export const DEFAULT_TOKEN_URL = 'https://oauth.bitrix.info/oauth/token/';

export interface TokenRefreshRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  timeoutMs: number;
  userAgent?: string;
  /** Named in DestinationUnavailableError so the operator knows which destination to fix. */
  destination?: string;
}

export interface RefreshedTokens {
  accessToken: string;
  refreshToken: string;
  /** Unix seconds; 0 when the answer did not say. */
  expiresAt: number;
  /** `client_endpoint` of the answer, when it carried a usable one. */
  clientEndpoint?: string;
}

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires?: unknown;
  expires_in?: unknown;
  client_endpoint?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** What the operator must do when the authorization server says no for good. */
export const REJECTED_GRANT_REASON =
  'OAuth refresh token rejected (invalid_grant): reinstall the app or put a new token pair in config, then restart';
export const REJECTED_CLIENT_REASON =
  'OAuth client rejected (invalid_client): check oauth.clientId and oauth.clientSecret in config, then restart';

export async function requestTokenRefresh(request: TokenRefreshRequest): Promise<RefreshedTokens> {
  const url = new URL(request.tokenUrl);
  url.searchParams.set('grant_type', 'refresh_token');
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('client_secret', request.clientSecret);
  url.searchParams.set('refresh_token', request.refreshToken);
  const where = `OAuth token endpoint ${url.host}`;

  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': request.userAgent ?? 'leadgate/0.1' },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    // Never echo the URL: its query holds the client secret and the refresh token.
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new RetryableDeliveryError(`${where} did not answer within ${request.timeoutMs} ms`, { code: 'OAUTH_TIMEOUT', ambiguous: false });
    }
    const code = (err as { cause?: { code?: string } } | undefined)?.cause?.code ?? 'NETWORK_ERROR';
    throw new RetryableDeliveryError(`${where} unreachable: ${code}`, { code: 'OAUTH_NETWORK_ERROR', ambiguous: false });
  }

  let body: TokenAnswer | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as TokenAnswer;
  } catch {
    body = undefined;
  }
  const status = response.status;
  if (body && typeof body.error === 'string' && body.error !== '') throw refusal(status, body.error, body.error_description, where, request);
  if (!body || status >= 300 || typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new RetryableDeliveryError(`${where} answered HTTP ${status} without a token pair`, {
      code: 'OAUTH_BAD_ANSWER',
      status,
      ambiguous: false,
    });
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: expiresAt(body),
    ...(usableEndpoint(body.client_endpoint) ? { clientEndpoint: body.client_endpoint as string } : {}),
  };
}

function refusal(
  status: number,
  code: string,
  description: unknown,
  where: string,
  request: TokenRefreshRequest,
): DestinationUnavailableError | RetryableDeliveryError {
  const lower = code.toLowerCase();
  const destination = request.destination;
  if (lower === 'invalid_grant') return new DestinationUnavailableError(REJECTED_GRANT_REASON, { code, status, destination });
  if (lower === 'invalid_client' || lower === 'unauthorized_client') {
    return new DestinationUnavailableError(REJECTED_CLIENT_REASON, { code, status, destination });
  }
  const detail = typeof description === 'string' && description !== '' ? `: ${description}` : '';
  if (status >= 500 || status === 429) {
    return new RetryableDeliveryError(`${where} failed (HTTP ${status} ${code}${detail})`, { code, status, ambiguous: false });
  }
  // PAYMENT_REQUIRED, invalid_request, …: nothing a retry of the lead can fix.
  return new DestinationUnavailableError(`OAuth token refresh refused (${code}${detail}): check the app's status in Bitrix24`, {
    code,
    status,
    destination,
  });
}

function expiresAt(body: TokenAnswer): number {
  const expires = Number(body.expires);
  if (Number.isFinite(expires) && expires > 0) return Math.floor(expires);
  const expiresIn = Number(body.expires_in);
  if (Number.isFinite(expiresIn) && expiresIn > 0) return Math.floor(Date.now() / 1000 + expiresIn);
  return 0;
}

function usableEndpoint(value: unknown): boolean {
  return typeof value === 'string' && /^https?:\/\/[^/]+(\/.*)?\/$/.test(value);
}
