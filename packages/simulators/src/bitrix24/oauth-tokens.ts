/**
 * The simulated portal's one OAuth application: the token pairs the authorization server has issued.
 * Refresh tokens are single-use (each refresh returns a new pair, reference §6); access tokens stay
 * valid until they expire, even after the pair they came with has been refreshed.
 */
import { randomBytes } from 'node:crypto';

export interface OAuthAppSettings {
  clientId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
}

export interface IssuedPair {
  accessToken: string;
  refreshToken: string;
  /** Unix seconds. */
  expires: number;
}

export type AccessCheck = 'valid' | 'expired' | 'unknown';

/** Expired access tokens are remembered this long, so a late caller still hears `expired_token`. */
const EXPIRED_MEMORY_MS = 24 * 3600 * 1000;

export class OAuthTokens {
  /** access token → expiry (epoch ms). */
  private readonly access = new Map<string, number>();
  private readonly refreshable = new Set<string>();

  constructor(
    readonly app: OAuthAppSettings,
    private readonly now: () => number = Date.now,
  ) {}

  checkClient(clientId: string, clientSecret: string): boolean {
    return clientId === this.app.clientId && clientSecret === this.app.clientSecret;
  }

  /** A fresh pair, as an app receives on install or on refresh. */
  issue(): IssuedPair {
    this.forgetOldTokens();
    const accessToken = newToken();
    const refreshToken = newToken();
    const expiresAtMs = this.now() + this.app.accessTokenTtlSeconds * 1000;
    this.access.set(accessToken, expiresAtMs);
    this.refreshable.add(refreshToken);
    return { accessToken, refreshToken, expires: Math.floor(expiresAtMs / 1000) };
  }

  /** Spends the refresh token and issues the next pair; null when it is unknown, used or revoked. */
  redeem(refreshToken: string): IssuedPair | null {
    if (!this.refreshable.delete(refreshToken)) return null;
    return this.issue();
  }

  authenticate(accessToken: string): AccessCheck {
    const expiresAt = this.access.get(accessToken);
    if (expiresAt === undefined) return 'unknown';
    return expiresAt > this.now() ? 'valid' : 'expired';
  }

  /** Every access token issued so far expires now (refresh tokens keep working). */
  expireAccessTokens(): void {
    const t = this.now();
    for (const [token, expiresAt] of this.access) if (expiresAt > t) this.access.set(token, t);
  }

  /** Every refresh token stops working: the next refresh answers `invalid_grant`. */
  revokeRefreshTokens(): void {
    this.refreshable.clear();
  }

  private forgetOldTokens(): void {
    const horizon = this.now() - EXPIRED_MEMORY_MS;
    for (const [token, expiresAt] of this.access) if (expiresAt < horizon) this.access.delete(token);
  }
}

/** 32 lower-case hex characters, the shape of the tokens in the reference's samples. */
function newToken(): string {
  return randomBytes(16).toString('hex');
}
