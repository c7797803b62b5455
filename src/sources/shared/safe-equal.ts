import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two secrets of any length: both are hashed first, so neither the
 * content nor the length of the expected secret leaks through timing. Shared by the Meta verify
 * token and Google key checks.
 */
export function safeEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
