import { createHmac } from 'node:crypto';
import { safeEqual } from '../../shared/safe-equal';

export type SignatureCheck = 'ok' | 'missing' | 'invalid';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`.
 * It must be the received bytes: Meta signs its own escaped-unicode serialisation, so re-serialising
 * parsed JSON would break non-ASCII leads. Never throws; an empty secret never verifies.
 */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): SignatureCheck {
  if (header === undefined || header.trim() === '') return 'missing';
  try {
    const match = HEADER.exec(header.trim());
    if (!match?.[1] || !appSecret) return 'invalid';
    const presented = Buffer.from(match[1], 'hex');
    const expected = createHmac('sha256', appSecret).update(rawBody).digest();
    return safeEqual(presented, expected) ? 'ok' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** The header value Meta would send for this body (used by the simulator and tests). */
export function signMetaBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
