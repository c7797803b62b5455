import { GraphRateLimitedError, GraphTransientError } from '../../src/clients/meta/graph-errors';
import { metaRetryDelay } from '../../src/worker/meta-fetch-worker';

const backoff = { baseDelayMs: 1000, maxDelayMs: 60_000 };
const top = (): number => 1;

describe('metaRetryDelay', () => {
  it('is the usual exponential backoff for transient failures', () => {
    expect(metaRetryDelay(1, backoff, new GraphTransientError('down'), top)).toBe(1000);
    expect(metaRetryDelay(3, backoff, new GraphTransientError('down'), top)).toBe(4000);
  });

  it("waits at least Meta's estimate after a rate limit, capped at the maximum delay", () => {
    expect(metaRetryDelay(1, backoff, new GraphRateLimitedError('slow down', {}, 30_000), top)).toBe(30_000);
    expect(metaRetryDelay(1, backoff, new GraphRateLimitedError('slow down', {}, 2 * 3600_000), top)).toBe(60_000);
    expect(metaRetryDelay(8, backoff, new GraphRateLimitedError('slow down', {}, 5_000), top)).toBe(60_000);
    expect(metaRetryDelay(2, backoff, new GraphRateLimitedError('slow down'), top)).toBe(2000);
  });
});
