/**
 * The token pair of one OAuth destination, shared by every worker process through Redis.
 *
 * The pair lives in the hash `${prefix}:oauth:${destination}` (accessToken, refreshToken, expiresAt,
 * clientEndpoint, plus bookkeeping). The pair from config only seeds it: it is written when Redis
 * holds no pair, or when the stored pair's refresh token was rejected (invalid_grant) and config
 * now carries a different one. Otherwise the stored pair wins, so a refreshed pair survives restarts
 * (refresh tokens are single-use: the config pair is dead after the first refresh). To force the
 * config pair, delete the hash.
 *
 * A refresh happens once across all workers: the refresher holds `${key}:lock` (SET NX PX), re-reads
 * the pair and only calls the authorization server when the access token is still the stale one;
 * everyone else polls the hash until the access token changes.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../../shared/redis-client';
import { DestinationUnavailableError, RetryableDeliveryError } from '../delivery-errors';
import { DEFAULT_TOKEN_URL, requestTokenRefresh, type RefreshedTokens } from './oauth-token-endpoint';

/** The `oauth` block of a destination in config. */
export interface OAuthAppConfig {
  clientId: string;
  clientSecret: string;
  /** Seed pair: used only when Redis holds none (see the file comment). */
  accessToken: string;
  refreshToken: string;
  /** `client_endpoint` of the portal: https://PORTAL/rest/ */
  clientEndpoint: string;
  /** Default https://oauth.bitrix.info/oauth/token/ */
  tokenUrl?: string;
}

export interface OAuthCredentials {
  accessToken: string;
  /** Base URL of REST calls, ending in `/rest/`: the method name is appended to it. */
  clientEndpoint: string;
}

/** What Bitrix24Client needs from a session. */
export interface OAuthTokenSource {
  current(): Promise<OAuthCredentials>;
  /** A valid pair after `staleToken` was refused; refreshes at most once across all workers. */
  refresh(staleToken: string): Promise<OAuthCredentials>;
}

export interface OAuthSessionOptions {
  redis: RedisClient;
  prefix: string;
  destination: string;
  app: OAuthAppConfig;
  /** One token-endpoint request; keep it below lockTtlMs. Default 10 000. */
  tokenTimeoutMs?: number;
  /** Default 15 000. */
  lockTtlMs?: number;
  /** How long a worker waits for another one's refresh before giving up (retryable). Default 15 000. */
  waitTimeoutMs?: number;
  /** Default 50. */
  pollIntervalMs?: number;
  userAgent?: string;
}

interface StoredPair {
  accessToken: string;
  refreshToken: string;
  clientEndpoint: string;
  rejectedRefreshToken?: string;
  rejectedCode?: string;
  rejectedClient?: string;
  rejectedReason?: string;
}

/** Returns the stored pair, seeding it from config when absent or rejected and config has another. */
const READ_OR_SEED = `
local stored = redis.call('HGET', KEYS[1], 'refreshToken')
local seed = not stored
if stored and redis.call('HGET', KEYS[1], 'rejectedCode') == 'invalid_grant'
  and redis.call('HGET', KEYS[1], 'rejectedRefreshToken') == stored
  and redis.call('HGET', KEYS[1], 'seedRefreshToken') ~= ARGV[2] then
  seed = true
end
if seed then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'accessToken', ARGV[1], 'refreshToken', ARGV[2], 'clientEndpoint', ARGV[3],
    'expiresAt', '0', 'seedRefreshToken', ARGV[2], 'source', 'config', 'updatedAt', ARGV[4])
end
return redis.call('HGETALL', KEYS[1])
`;

/** Marks the pair rejected unless someone stored a newer one meanwhile; 1 when marked. */
const MARK_REJECTED = `
if redis.call('HGET', KEYS[1], 'refreshToken') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rejectedRefreshToken', ARGV[1], 'rejectedCode', ARGV[2], 'rejectedClient', ARGV[3],
  'rejectedReason', ARGV[4], 'rejectedAt', ARGV[5])
return 1
`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Rejections that stay true for this (client, refresh token): later refreshes fail without asking. */
const STICKY_CODES = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

export class OAuthSession implements OAuthTokenSource {
  /** The Redis hash holding the pair. */
  readonly key: string;
  private readonly lockKey: string;
  private readonly clientFingerprint: string;
  private lastEndpoint: string;
  private inflight?: { stale: string; promise: Promise<OAuthCredentials> };

  constructor(private readonly options: OAuthSessionOptions) {
    if ((options.tokenTimeoutMs ?? 10_000) >= (options.lockTtlMs ?? 15_000)) {
      // The lock would expire mid-request and a second worker could spend the same refresh token.
      throw new Error('OAuthSession: tokenTimeoutMs must be below lockTtlMs');
    }
    this.key = `${options.prefix}:oauth:${options.destination}`;
    this.lockKey = `${this.key}:lock`;
    this.clientFingerprint = createHash('sha256').update(`${options.app.clientId}\0${options.app.clientSecret}`).digest('hex').slice(0, 16);
    this.lastEndpoint = withSlash(options.app.clientEndpoint);
  }

  /** The portal's `client_endpoint` as last read (config's until the first read). */
  get clientEndpoint(): string {
    return this.lastEndpoint;
  }

  async current(): Promise<OAuthCredentials> {
    return credentials(await this.read());
  }

  refresh(staleToken: string): Promise<OAuthCredentials> {
    // Calls of this process that failed with the same token share one attempt.
    if (this.inflight?.stale === staleToken) return this.inflight.promise;
    const promise = this.refreshAcrossWorkers(staleToken).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { stale: staleToken, promise };
    return promise;
  }

  private async refreshAcrossWorkers(staleToken: string): Promise<OAuthCredentials> {
    const { redis, lockTtlMs = 15_000, waitTimeoutMs = 15_000, pollIntervalMs = 50 } = this.options;
    const deadline = Date.now() + waitTimeoutMs;
    for (;;) {
      const pair = await this.read();
      if (pair.accessToken !== staleToken) return credentials(pair);
      this.throwIfRejected(pair);
      const owner = randomUUID();
      if ((await redis.set(this.lockKey, owner, 'PX', lockTtlMs, 'NX')) === 'OK') {
        try {
          return await this.refreshHoldingLock(staleToken);
        } finally {
          await redis.eval(RELEASE_LOCK, 1, this.lockKey, owner);
        }
      }
      if (Date.now() >= deadline) {
        throw new RetryableDeliveryError(
          `destination "${this.options.destination}": another worker's OAuth token refresh did not finish within ${waitTimeoutMs} ms`,
          { code: 'OAUTH_REFRESH_PENDING', ambiguous: false },
        );
      }
      await sleep(pollIntervalMs);
    }
  }

  private async refreshHoldingLock(staleToken: string): Promise<OAuthCredentials> {
    const pair = await this.read();
    if (pair.accessToken !== staleToken) return credentials(pair);
    this.throwIfRejected(pair);
    const { app, destination } = this.options;
    let fresh: RefreshedTokens;
    try {
      fresh = await requestTokenRefresh({
        tokenUrl: app.tokenUrl ?? DEFAULT_TOKEN_URL,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        refreshToken: pair.refreshToken,
        timeoutMs: this.options.tokenTimeoutMs ?? 10_000,
        userAgent: this.options.userAgent,
        destination,
      });
    } catch (err) {
      if (err instanceof DestinationUnavailableError && STICKY_CODES.has(err.code.toLowerCase())) {
        await this.options.redis.eval(
          MARK_REJECTED, 1, this.key, pair.refreshToken, err.code.toLowerCase(), this.clientFingerprint, err.reason, String(Date.now()),
        );
        // A newer pair stored meanwhile, or a new config pair seeded over the rejected one, is usable.
        const after = await this.read();
        if (after.accessToken !== staleToken && after.refreshToken !== pair.refreshToken) return credentials(after);
      }
      throw err;
    }
    const clientEndpoint = fresh.clientEndpoint ?? pair.clientEndpoint;
    // No TTL: the pair must outlive restarts. Workers wait for Redis, so this write is not lost.
    await this.options.redis
      .multi()
      .hset(this.key, {
        accessToken: fresh.accessToken,
        refreshToken: fresh.refreshToken,
        expiresAt: String(fresh.expiresAt),
        clientEndpoint,
        source: 'refresh',
        updatedAt: String(Date.now()),
      })
      .hdel(this.key, 'rejectedRefreshToken', 'rejectedCode', 'rejectedClient', 'rejectedReason', 'rejectedAt')
      .exec();
    this.lastEndpoint = clientEndpoint;
    return { accessToken: fresh.accessToken, clientEndpoint };
  }

  /** Fails fast when this pair was already refused for good, so workers do not hammer the OAuth server. */
  private throwIfRejected(pair: StoredPair): void {
    if (pair.rejectedRefreshToken !== pair.refreshToken || !pair.rejectedCode) return;
    const grantDead = pair.rejectedCode === 'invalid_grant';
    if (!grantDead && pair.rejectedClient !== this.clientFingerprint) return;
    throw new DestinationUnavailableError(pair.rejectedReason || `OAuth refresh rejected (${pair.rejectedCode})`, {
      code: pair.rejectedCode,
      destination: this.options.destination,
    });
  }

  private async read(): Promise<StoredPair> {
    const { app, redis } = this.options;
    const flat = (await redis.eval(
      READ_OR_SEED, 1, this.key, app.accessToken, app.refreshToken, withSlash(app.clientEndpoint), String(Date.now()),
    )) as string[];
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
    const pair: StoredPair = {
      accessToken: hash.accessToken ?? '',
      refreshToken: hash.refreshToken ?? '',
      clientEndpoint: withSlash(hash.clientEndpoint || app.clientEndpoint),
      rejectedRefreshToken: hash.rejectedRefreshToken,
      rejectedCode: hash.rejectedCode,
      rejectedClient: hash.rejectedClient,
      rejectedReason: hash.rejectedReason,
    };
    this.lastEndpoint = pair.clientEndpoint;
    return pair;
  }
}

function credentials(pair: StoredPair): OAuthCredentials {
  return { accessToken: pair.accessToken, clientEndpoint: pair.clientEndpoint };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
