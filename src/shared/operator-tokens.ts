import { createHash, randomBytes } from 'node:crypto';
import { safeEqual } from './safe-equal';

/** What config keeps of an operator's token (admin.operators[].tokenHash): its SHA-256, hex. */
export function hashOperatorToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new operator token (given to the person once) and the hash for config. */
export function generateOperatorToken(): { token: string; hash: string } {
  const token = `lgo_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashOperatorToken(token) };
}

/**
 * The operator whose tokenHash matches, or undefined. Every hash is compared (no early exit) in
 * constant time, so timing tells neither which operator nor how close a guess came.
 */
export function findOperator(token: string, operators: ReadonlyArray<{ name: string; tokenHash: string }>): string | undefined {
  const presented = Buffer.from(hashOperatorToken(token), 'hex');
  let found: string | undefined;
  for (const operator of operators) {
    if (safeEqual(presented, Buffer.from(operator.tokenHash.toLowerCase(), 'hex')) && found === undefined) found = operator.name;
  }
  return found;
}
