import { retryDelay } from '../../src/worker/retry-delay';

const backoff = { baseDelayMs: 10_000, maxDelayMs: 3_600_000 };

describe('retry delay', () => {
  it('doubles from the base delay and stays within [half, full] of it (jitter)', () => {
    expect(retryDelay(1, backoff, () => 0)).toBe(5_000);
    expect(retryDelay(1, backoff, () => 1)).toBe(10_000);
    expect(retryDelay(4, backoff, () => 1)).toBe(80_000);
  });

  it('is capped', () => {
    expect(retryDelay(30, backoff, () => 1)).toBe(3_600_000);
  });

  it('spans about a day over the default 30 attempts', () => {
    let total = 0;
    for (let n = 1; n < 30; n += 1) total += retryDelay(n, backoff, () => 0.5);
    expect(total / 3_600_000).toBeGreaterThan(14);
    expect(total / 3_600_000).toBeLessThan(30);
  });
});
