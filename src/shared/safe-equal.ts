import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two secrets of any length: both are hashed first, so neither the
 * content nor the length of the expected secret leaks through timing. The one comparison of secrets:
 * admin token, Meta verify token and signature, Google key, partner key hashes.
 */
export function safeEqual(presented: string | Buffer, expected: string | Buffer): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
