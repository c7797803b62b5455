/**
 * OAuth 2.0 for a Google service account (RFC 7523 JWT bearer grant): a JWT signed RS256 with the
 * account's private key, exchanged at the token endpoint for an access token, kept until shortly
 * before it expires. Concurrent callers share one exchange.
 */
import { createSign } from 'node:crypto';
import { GoogleApiError } from './google-errors';

export const DATAMANAGER_SCOPE = 'https://www.googleapis.com/auth/datamanager';
const LIFETIME_S = 3600;
/** Renew this long before Google's expiry, so a token never dies in flight. */
const EARLY_MS = 120_000;

export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  tokenUrl: string;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** The signed assertion: iss = the account, scope, aud = the token endpoint, one hour. */
export function serviceAccountAssertion(account: ServiceAccount, scope: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iss: account.clientEmail, scope, aud: account.tokenUrl, iat, exp: iat + LIFETIME_S }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(account.privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

export class ServiceAccountTokens {
  private cached?: { token: string; expiresAt: number };
  private pending?: Promise<string>;

  constructor(private readonly account: ServiceAccount, private readonly timeoutMs: number, private readonly scope = DATAMANAGER_SCOPE) {}

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - EARLY_MS > Date.now()) return this.cached.token;
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Google refused the token: the next call exchanges a new one. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async exchange(): Promise<string> {
    let response: Response;
    let text: string;
    try {
      const assertion = serviceAccountAssertion(this.account, this.scope, Date.now());
      response = await fetch(this.account.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      if (err instanceof Error && /key|PEM|asn1|decoder/i.test(err.constructor.name + err.message) && !(err as { name?: string }).name?.includes('Timeout')) {
        throw new GoogleApiError('the service account private key cannot sign (conversions.google.serviceAccount.privateKey)', { kind: 'auth', code: 'GOOGLE_KEY_INVALID' });
      }
      throw new GoogleApiError(`Google's token endpoint is unreachable (${(err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'network error'})`, { kind: 'retryable', code: 'GOOGLE_TOKEN_UNREACHABLE' });
    }
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // A proxy's page: judged by the status below.
    }
    if (response.ok && typeof body.access_token === 'string') {
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : LIFETIME_S;
      this.cached = { token: body.access_token, expiresAt: Date.now() + expiresIn * 1000 };
      return body.access_token;
    }
    const said = typeof body.error === 'string' ? ` Google said: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description.slice(0, 200)})` : ''}` : '';
    if (response.status >= 500 || response.status === 429) throw new GoogleApiError(`Google's token endpoint failed (HTTP ${response.status}).${said}`, { kind: 'retryable', code: `GOOGLE_TOKEN_${response.status}` });
    throw new GoogleApiError(`Google refused the service account (HTTP ${response.status}): check conversions.google.serviceAccount (client email, key, the key not revoked).${said}`, { kind: 'auth', code: 'GOOGLE_AUTH' });
  }
}
