/**
 * Exponential backoff with jitter: attempt n waits between half and all of base·2^(n-1), capped.
 * Half-jitter keeps the growth (so ~30 attempts span about a day with the defaults: 10 s doubling to
 * a 1 h cap) while spreading a burst of failed leads so they do not retry in lockstep.
 */
export function retryDelay(
  attemptsMade: number,
  backoff: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.min(exponent, 40));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
