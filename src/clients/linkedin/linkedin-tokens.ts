import { createHash } from 'node:crypto';
import type { RedisClient } from '../../shared/redis-client';
import { LinkedInApiError, type LinkedInTokenSource } from './lead-sync-client';

interface StoredToken {
  accessToken: string;
  refreshToken?: string;
  /** Which configured token this pair descends from: a new token in the config replaces it. */
  seed: string;
}

const LOCK_MS = 15_000;

/**
 * The member token, shared by every worker through Redis (`<prefix>:linkedin:token`). The config's
 * token seeds it; when LinkedIn refuses it, one process (a Redis lock) trades the refresh token for a
 * new one (POST tokenUrl, grant_type=refresh_token) and stores it, the others wait and read it. A
 * refresh LinkedIn refuses, or no refresh token, is an 'auth' LinkedInApiError: reads wait until a
 * new token is configured.
 */
export class LinkedInTokens implements LinkedInTokenSource {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly config: { clientId: string; clientSecret: string; accessToken: string; refreshToken?: string; tokenUrl: string; timeoutMs: number },
  ) {
    this.key = `${prefix}:linkedin:token`;
  }

  private get seed(): string {
    return createHash('sha256').update(this.config.accessToken).digest('hex').slice(0, 16);
  }

  private async stored(): Promise<StoredToken | undefined> {
    const text = await this.redis.get(this.key);
    const token = text ? (JSON.parse(text) as StoredToken) : undefined;
    return token?.seed === this.seed ? token : undefined;
  }

  async current(): Promise<string> {
    return (await this.stored())?.accessToken ?? this.config.accessToken;
  }

  async renew(rejected: string): Promise<string> {
    for (const deadline = Date.now() + LOCK_MS; Date.now() < deadline; ) {
      const now = await this.current();
      if (now !== rejected) return now;
      if ((await this.redis.set(`${this.key}:lock`, '1', 'PX', LOCK_MS, 'NX')) === 'OK') {
        try {
          return await this.refresh();
        } finally {
          await this.redis.del(`${this.key}:lock`);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new LinkedInApiError('another process is refreshing the LinkedIn token and did not finish', 'transient', 0);
  }

  private async refresh(): Promise<string> {
    const refreshToken = (await this.stored())?.refreshToken ?? this.config.refreshToken;
    if (!refreshToken) throw new LinkedInApiError('LinkedIn refused the access token and no refreshToken is configured: put a new sources.linkedin.accessToken in the config', 'auth', 401);
    let response: Response;
    try {
      response = await fetch(this.config.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: this.config.clientId, client_secret: this.config.clientSecret }),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw new LinkedInApiError(`cannot reach LinkedIn's token endpoint: ${(err as Error).message}`, 'transient', 0);
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; error?: string; error_description?: string };
    if (response.status >= 500) throw new LinkedInApiError(`LinkedIn's token endpoint answered ${response.status}`, 'transient', response.status);
    if (!response.ok || !body.access_token) {
      throw new LinkedInApiError(`LinkedIn refused the refresh token (${body.error ?? response.status}): put a new sources.linkedin.accessToken/refreshToken in the config`, 'auth', response.status, body.error);
    }
    const stored: StoredToken = { accessToken: body.access_token, refreshToken: body.refresh_token ?? refreshToken, seed: this.seed };
    await this.redis.set(this.key, JSON.stringify(stored));
    return stored.accessToken;
  }
}
