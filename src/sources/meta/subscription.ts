import { safeEqual } from '../../shared/safe-equal';

export type SubscriptionAnswer = { status: 200; challenge: string } | { status: 403; reason: string };

// Meta sends an integer; the answer is reflected verbatim, so nothing else is echoed back.
const CHALLENGE = /^[A-Za-z0-9_-]{1,256}$/;

function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * The GET handshake: `hub.mode=subscribe` with the configured verify token gets the challenge back
 * (to be sent as text/plain, 200); anything else, or no token configured, gets 403.
 */
export function answerMetaSubscription(query: Record<string, unknown>, verifyToken: string | undefined): SubscriptionAnswer {
  if (!verifyToken) return { status: 403, reason: 'no verify token is configured' };
  const mode = single(query['hub.mode']);
  const token = single(query['hub.verify_token']);
  const challenge = single(query['hub.challenge']);
  if (mode !== 'subscribe') return { status: 403, reason: 'hub.mode must be subscribe' };
  if (token === undefined || !safeEqual(token, verifyToken)) return { status: 403, reason: 'hub.verify_token does not match' };
  if (challenge === undefined || !CHALLENGE.test(challenge)) return { status: 403, reason: 'hub.challenge is missing or malformed' };
  return { status: 200, challenge };
}
