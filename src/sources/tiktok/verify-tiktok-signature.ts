import { createHmac } from 'node:crypto';
import { safeEqual } from '../../shared/safe-equal';

/**
 * THE one place TikTok deliveries are authenticated; sources disagree, so this is the module to
 * correct if TikTok's lead callbacks turn out to sign differently.
 *
 * Scheme (TikTok's published webhook verification, developers.tiktok.com/doc/webhooks-verification,
 * and the `tiktok-signature` header named for API-for-Business webhooks):
 *   `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(app secret, "<t>.<raw body>")>`
 * and a timestamp too far from now is refused (a captured delivery replayed later). A single
 * third-party adapter reports `X-Open-Signature` (HMAC of the body alone) for lead callbacks; TikTok
 * documents nothing of it, so it is not accepted.
 */
export const TIKTOK_SIGNATURE_HEADER = 'tiktok-signature';

export type TikTokSignatureCheck = 'ok' | 'missing' | 'invalid' | 'stale';

const HEADER = /^t=([0-9]{1,12}),s=([0-9a-f]{64})$/i;

export function verifyTikTokSignature(rawBody: Buffer, header: string | undefined, secret: string, nowMs: number, toleranceSeconds: number): TikTokSignatureCheck {
  const value = header?.trim();
  if (!value) return 'missing';
  // Either order of the two parts, spaces after the comma tolerated.
  const parts = value.split(',').map((p) => p.trim());
  const t = parts.find((p) => p.startsWith('t='));
  const s = parts.find((p) => p.startsWith('s='));
  const match = parts.length === 2 && t && s ? HEADER.exec(`${t},${s}`) : null;
  if (!match || !secret) return 'invalid';
  const stamp = match[1]!;
  const expected = createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${stamp}.`), rawBody])).digest();
  if (!safeEqual(Buffer.from(match[2]!, 'hex'), expected)) return 'invalid';
  return Math.abs(nowMs - Number(stamp) * 1000) <= toleranceSeconds * 1000 ? 'ok' : 'stale';
}

/** The header TikTok would send for this body at `t` (tests and the fixtures' sender). */
export function signTikTokBody(rawBody: Buffer | string, secret: string, t: number = Math.floor(Date.now() / 1000)): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return `t=${t},s=${createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${t}.`), body])).digest('hex')}`;
}
