import type { Bitrix24Time } from '../clients/bitrix24/bitrix24-client';

/**
 * How long to hold a destination back, given the `time` of its latest answer: once the method's
 * accumulated run time (`operating`) reaches `threshold` of the portal's operating limit, waiting
 * for `operating_reset_at` (when the oldest minute drops out) beats being blocked for ten minutes.
 */
export function operatingPauseMs(time: Bitrix24Time, limitSeconds: number, now: number, threshold = 0.9): number {
  if (time.operating === undefined || time.operating < limitSeconds * threshold) return 0;
  if (!time.operating_reset_at) return 60_000;
  return Math.max(1000, time.operating_reset_at * 1000 - now);
}
