import IORedis, { type Redis } from 'ioredis';
import { Bitrix24Client } from '../../src/clients/bitrix24/bitrix24-client';
import { createBitrix24Client } from '../../src/clients/bitrix24/create-client';
import { OAuthSession, type OAuthAppConfig } from '../../src/clients/bitrix24/oauth-session';
import { DestinationUnavailableError, RetryableDeliveryError } from '../../src/clients/delivery-errors';
import { startBitrix24Simulator, type Bitrix24Simulator } from '@leadgate/simulators';
import { dropPrefix, SHARED_REDIS_URL, uniquePrefix } from '../helpers/redis';

const APP = { clientId: 'local.leadgate.test', clientSecret: 'sim-secret' };
const DESTINATION = 'agency';
/** Nothing listens here: a token endpoint that cannot be reached. */
const DEAD_TOKEN_URL = 'http://127.0.0.1:1/oauth/token/';

let sim: Bitrix24Simulator;
let prefix: string;
const connections: Redis[] = [];

function connect(): Redis {
  const redis = new IORedis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(redis);
  return redis;
}

/** The destination's `oauth` config block, seeded with the pair the app got on install. */
function oauthConfig(pair: { accessToken: string; refreshToken: string }, overrides: Partial<OAuthAppConfig> = {}): OAuthAppConfig {
  return { ...APP, ...pair, clientEndpoint: sim.clientEndpoint, tokenUrl: sim.tokenUrl, ...overrides };
}

/** A client as one worker process builds it: its own Redis connection, its own session. */
function workerClient(oauth: OAuthAppConfig): Bitrix24Client {
  return createBitrix24Client(DESTINATION, { oauth, timeoutMs: 5000 }, { redis: connect(), prefix });
}

const stored = (): Promise<Record<string, string>> => connections[0]!.hgetall(`${prefix}:oauth:${DESTINATION}`);
const lead = (title: string) => ({ TITLE: title, ORIGINATOR_ID: 'leadgate', ORIGIN_ID: title });

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: Error) => err,
  );
}

beforeEach(async () => {
  // A generous bucket: these tests are about tokens, not about the rate limit.
  sim = await startBitrix24Simulator({ oauth: APP, bucket: { drainPerSecond: 1000, limit: 10_000 } });
  prefix = uniquePrefix('oauth');
  connect();
});

afterEach(async () => {
  await sim.close();
  await dropPrefix(prefix);
  for (const redis of connections.splice(0)) redis.disconnect();
});

describe('Bitrix24 OAuth application mode', () => {
  it('sends `auth` to client_endpoint and seeds the pair from config into Redis', async () => {
    const pair = sim.issueOAuthTokens();
    const client = workerClient(oauthConfig(pair));
    expect(await client.addLead(lead('first'))).toBe(1);
    expect(sim.calls().at(-1)).toMatchObject({ method: 'crm.lead.add', status: 200 });
    expect(await stored()).toMatchObject({ accessToken: pair.accessToken, refreshToken: pair.refreshToken, clientEndpoint: sim.clientEndpoint });
    expect(sim.stats().tokenRefreshes).toBe(0);
  });

  it('refreshes an expired token once, repeats the call, and stores the new pair', async () => {
    const pair = sim.issueOAuthTokens();
    const client = workerClient(oauthConfig(pair));
    sim.expireAccessTokens();
    expect(await client.addLead(lead('after-expiry'))).toBe(1);
    expect(sim.stats().tokenRefreshes).toBe(1);
    expect(sim.leads()).toHaveLength(1);
    expect(sim.calls().map((c) => `${c.method} ${c.status}${c.error ? ` ${c.error}` : ''}`)).toEqual([
      'crm.lead.add 401 expired_token',
      'crm.lead.add 200',
    ]);
    const hash = await stored();
    expect(hash.accessToken).not.toBe(pair.accessToken);
    expect(hash.refreshToken).not.toBe(pair.refreshToken);
    expect(Number(hash.expiresAt)).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(await connections[0]!.exists(`${prefix}:oauth:${DESTINATION}:lock`)).toBe(0);
  });

  it('waits for request budget before the repeat, which is a request of its own', async () => {
    const pair = sim.issueOAuthTokens();
    const waited: number[] = [];
    const client = createBitrix24Client(DESTINATION, { oauth: oauthConfig(pair), timeoutMs: 5000 }, {
      redis: connect(),
      prefix,
      beforeRepeat: async () => {
        waited.push(sim.calls().length);
      },
    });
    await client.addLead(lead('budget-1'));
    expect(waited).toEqual([]);
    sim.expireAccessTokens();
    await client.addLead(lead('budget-2'));
    // Asked once, after the refused call and before the repeat.
    expect(waited).toEqual([2]);
  });

  it('after expiry, concurrent calls from several workers cause exactly one refresh and all succeed', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    const workers = Array.from({ length: 4 }, () => workerClient(config));
    await Promise.all(workers.map((w, i) => w.addLead(lead(`warm-${i}`))));
    sim.expireAccessTokens();

    const calls = workers.flatMap((w, i) => Array.from({ length: 10 }, (_, j) => w.addLead(lead(`w${i}-${j}`))));
    const batch = workers[0]!.addLeads([{ key: 'b1', fields: lead('batch-1') }, { key: 'b2', fields: lead('batch-2') }]);
    const ids = await Promise.all(calls);
    const batchResults = await batch;

    expect(sim.stats().tokenRefreshes).toBe(1);
    expect(new Set(ids).size).toBe(40);
    expect([...batchResults.values()].every((r) => 'leadId' in r)).toBe(true);
    expect(sim.leads()).toHaveLength(4 + 40 + 2);
    // Every repeat used the one refreshed token; none was refused twice.
    const refusals = sim.calls().filter((c) => c.error === 'expired_token' || c.error === 'invalid_token');
    expect(refusals.length).toBeLessThanOrEqual(41);
    expect(refusals.every((c) => c.error === 'expired_token')).toBe(true);
  });

  it('a new worker reuses the refreshed pair from Redis instead of the spent config pair', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    sim.expireAccessTokens();
    await workerClient(config).addLead(lead('before-restart'));
    expect(sim.stats().tokenRefreshes).toBe(1);

    // "Restart": same config (whose refresh token is now spent), fresh session and connection.
    const restarted = new OAuthSession({ redis: connect(), prefix, destination: DESTINATION, app: config });
    expect((await restarted.current()).accessToken).toBe((await stored()).accessToken);
    expect(await workerClient(config).addLead(lead('after-restart'))).toBe(2);
    expect(sim.stats().tokenRefreshes).toBe(1);
    expect(sim.calls().filter((c) => c.status === 401)).toHaveLength(1);

    // And it can refresh in turn, with the stored refresh token.
    sim.expireAccessTokens();
    expect(await workerClient(config).addLead(lead('second-expiry'))).toBe(3);
    expect(sim.stats().tokenRefreshes).toBe(2);
  });

  it('a revoked refresh token ends in DestinationUnavailableError with a reason an operator can act on', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    sim.expireAccessTokens();
    sim.revokeRefreshTokens();
    const err = await failureOf(workerClient(config).addLead(lead('x')));
    expect(err).toBeInstanceOf(DestinationUnavailableError);
    const unavailable = err as DestinationUnavailableError;
    expect(unavailable.code).toBe('invalid_grant');
    expect(unavailable.destination).toBe(DESTINATION);
    expect(unavailable.reason).toBe(
      'OAuth refresh token rejected (invalid_grant): reinstall the app or put a new token pair in config, then restart',
    );
    expect(unavailable.message).toBe(`destination "${DESTINATION}" unavailable: ${unavailable.reason}`);
    expect(sim.leads()).toEqual([]);
    expect(await stored()).toMatchObject({ rejectedCode: 'invalid_grant', rejectedRefreshToken: config.refreshToken });

    // Other workers fail fast from Redis: this one's token endpoint is unreachable and never asked.
    const other = workerClient({ ...config, tokenUrl: DEAD_TOKEN_URL });
    expect(await failureOf(other.addLead(lead('y')))).toBeInstanceOf(DestinationUnavailableError);
  });

  it('after a rejection, a new pair put in config replaces the dead one and delivery resumes', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    sim.expireAccessTokens();
    sim.revokeRefreshTokens();
    await expect(workerClient(config).addLead(lead('x'))).rejects.toBeInstanceOf(DestinationUnavailableError);

    const reinstalled = sim.issueOAuthTokens();
    const fixed = workerClient(oauthConfig(reinstalled));
    expect(await fixed.addLead(lead('after-fix'))).toBe(1);
    expect(await stored()).toMatchObject({ accessToken: reinstalled.accessToken, refreshToken: reinstalled.refreshToken });
    expect((await stored()).rejectedCode).toBeUndefined();
  });

  it('a wrong client secret is DestinationUnavailableError; the fixed secret works with the same pair', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    sim.expireAccessTokens();
    const err = await failureOf(workerClient({ ...config, clientSecret: 'wrong' }).addLead(lead('x')));
    expect(err).toBeInstanceOf(DestinationUnavailableError);
    expect((err as DestinationUnavailableError).reason).toMatch(/^OAuth client rejected \(invalid_client\): check oauth\.clientId and oauth\.clientSecret/);
    expect(await workerClient(config).addLead(lead('fixed'))).toBe(1);
    expect(sim.stats().tokenRefreshes).toBe(1);
  });

  it('an unreachable token endpoint is a retryable, unambiguous failure and spends nothing', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    sim.expireAccessTokens();
    const err = await failureOf(workerClient({ ...config, tokenUrl: DEAD_TOKEN_URL }).addLead(lead('x')));
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect(err).toMatchObject({ code: 'OAUTH_NETWORK_ERROR', ambiguous: false });
    expect(err.message).not.toContain(APP.clientSecret);
    expect(sim.leads()).toEqual([]);
    // The pair was not spent: with the endpoint back, the next attempt refreshes and delivers.
    expect(await workerClient(config).addLead(lead('x'))).toBe(1);
  });

  it('a worker waiting on another one\'s refresh gives up after waitTimeoutMs with a retryable error', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    const session = new OAuthSession({ redis: connect(), prefix, destination: DESTINATION, app: config, waitTimeoutMs: 300 });
    const { accessToken } = await session.current();
    await connections[0]!.set(`${prefix}:oauth:${DESTINATION}:lock`, 'someone-else', 'PX', 10_000);
    const started = Date.now();
    const err = await failureOf(session.refresh(accessToken));
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect(err).toMatchObject({ code: 'OAUTH_REFRESH_PENDING', ambiguous: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sim.stats().tokenRefreshes).toBe(0);
  });

  it('a waiting worker picks up the pair another worker stored', async () => {
    const config = oauthConfig(sim.issueOAuthTokens());
    const session = new OAuthSession({ redis: connect(), prefix, destination: DESTINATION, app: config });
    const { accessToken } = await session.current();
    const lockKey = `${prefix}:oauth:${DESTINATION}:lock`;
    await connections[0]!.set(lockKey, 'someone-else', 'PX', 10_000);
    const waiting = session.refresh(accessToken);
    await new Promise((r) => setTimeout(r, 150));
    await connections[0]!.hset(`${prefix}:oauth:${DESTINATION}`, { accessToken: 'from-another-worker', refreshToken: 'next' });
    expect(await waiting).toEqual({ accessToken: 'from-another-worker', clientEndpoint: sim.clientEndpoint });
    expect(sim.stats().tokenRefreshes).toBe(0);
  });

  it('repeats a refused call only once: refused again after the refresh is retryable and unambiguous', async () => {
    let refreshes = 0;
    const client = new Bitrix24Client({
      timeoutMs: 5000,
      oauth: {
        current: async () => ({ accessToken: 'unknown-1', clientEndpoint: sim.clientEndpoint }),
        refresh: async () => {
          refreshes += 1;
          return { accessToken: 'unknown-2', clientEndpoint: sim.clientEndpoint };
        },
      },
    });
    const err = await failureOf(client.addLead(lead('x')));
    expect(err).toBeInstanceOf(RetryableDeliveryError);
    expect(err).toMatchObject({ code: 'invalid_token', ambiguous: false });
    expect(refreshes).toBe(1);
    expect(sim.calls().map((c) => c.error)).toEqual(['invalid_token', 'invalid_token']);
  });

  it('builds a webhook client for a webhook destination', async () => {
    const client = createBitrix24Client('main', { webhookUrl: sim.webhookUrl, timeoutMs: 5000 }, { redis: connections[0]!, prefix });
    expect(await client.addLead(lead('hook'))).toBe(1);
    expect(() => createBitrix24Client('main', { timeoutMs: 5000 }, { redis: connections[0]!, prefix })).toThrow(
      'destination "main": needs webhookUrl or oauth',
    );
  });
});
