import { createHmac } from 'node:crypto';
import type { WebhookAuth } from '../../config/webhook-config';
import { safeEqual } from '../../shared/safe-equal';

/** What the request carries, read by the route. */
export interface AuthInput {
  rawBody: Buffer;
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  nowMs: number;
}

export type AuthCheck =
  | { ok: true }
  | { ok: false; status: 401 | 403; code: 'signature_missing' | 'signature_invalid' | 'timestamp_stale' | 'token_missing' | 'token_invalid'; message: string };

const HEX = /^[0-9a-f]+$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeSignature(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'hex') return text.length % 2 === 0 && HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
  return text.length % 4 === 0 && BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

function checkHmac(auth: Extract<WebhookAuth, { type: 'hmac' }>, input: AuthInput): AuthCheck {
  const header = input.header(auth.header)?.trim();
  if (!header) return { ok: false, status: 401, code: 'signature_missing', message: `${auth.header} is required` };
  const invalid: AuthCheck = { ok: false, status: 403, code: 'signature_invalid', message: `${auth.header} does not match the body` };
  if (!header.toLowerCase().startsWith(auth.prefix.toLowerCase())) return invalid;
  const presented = decodeSignature(header.slice(auth.prefix.length), auth.encoding);
  if (!presented || !auth.secret) return invalid;
  let signed = input.rawBody;
  if (auth.timestamp) {
    const stamp = input.header(auth.timestamp.header)?.trim();
    if (!stamp) return { ok: false, status: 401, code: 'signature_missing', message: `${auth.timestamp.header} is required` };
    if (!/^[0-9]{1,16}$/.test(stamp)) return invalid;
    const sentMs = auth.timestamp.unit === 'ms' ? Number(stamp) : Number(stamp) * 1000;
    // A captured request replayed later is refused even with its genuine signature.
    if (Math.abs(input.nowMs - sentMs) > auth.timestamp.toleranceSeconds * 1000) {
      return { ok: false, status: 403, code: 'timestamp_stale', message: `${auth.timestamp.header} is more than ${auth.timestamp.toleranceSeconds} s from now` };
    }
    signed = Buffer.concat([Buffer.from(`${stamp}${auth.timestamp.separator}`, 'utf8'), input.rawBody]);
  }
  const expected = createHmac(auth.algorithm, auth.secret).update(signed).digest();
  return safeEqual(presented, expected) ? { ok: true } : invalid;
}

function checkToken(auth: Extract<WebhookAuth, { type: 'token' }>, input: AuthInput): AuthCheck {
  const presented = (auth.header ? input.header(auth.header)?.trim() : undefined) || (auth.query ? input.query(auth.query) : undefined);
  const where = [auth.header && `the ${auth.header} header`, auth.query && `?${auth.query}=`].filter(Boolean).join(' or ');
  if (!presented) return { ok: false, status: 401, code: 'token_missing', message: `a token is required in ${where}` };
  return auth.token && safeEqual(presented, auth.token) ? { ok: true } : { ok: false, status: 403, code: 'token_invalid', message: `the token in ${where} is not the configured one` };
}

/**
 * Checks a configured webhook's credential on the raw bytes, before anything is parsed: an HMAC over
 * the body (optionally `<timestamp><separator><body>`, refused when stale), or a shared token. `none`
 * passes (the route has checked the allowed addresses). Never throws; an empty secret never verifies.
 */
export function verifyWebhookAuth(auth: WebhookAuth, input: AuthInput): AuthCheck {
  try {
    if (auth.type === 'hmac') return checkHmac(auth, input);
    if (auth.type === 'token') return checkToken(auth, input);
    return { ok: true };
  } catch {
    return { ok: false, status: 403, code: 'signature_invalid', message: 'the credential cannot be checked' };
  }
}

/** The header value a sender computes for this body (simulators and tests). */
export function signWebhookBody(auth: Extract<WebhookAuth, { type: 'hmac' }>, rawBody: Buffer | string, timestamp?: string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const signed = auth.timestamp && timestamp !== undefined ? Buffer.concat([Buffer.from(`${timestamp}${auth.timestamp.separator}`), body]) : body;
  return `${auth.prefix}${createHmac(auth.algorithm, auth.secret).update(signed).digest(auth.encoding)}`;
}
