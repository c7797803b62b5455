import type { CaptchaProvider, FormCaptchaConfig } from '../config/form-captcha-config';

/** What leadgate sends a provider's siteverify endpoint (src/clients/captcha builds the wire form). */
export interface CaptchaVerifyRequest {
  provider: CaptchaProvider;
  secret: string;
  token: string;
  remoteIp?: string;
  siteKey?: string;
  verifyUrl?: string;
  timeoutMs: number;
}

/**
 * A provider's answer, or why there is none. `answered` is the provider speaking about the token;
 * `unavailable` is no verdict at all (timeout, 5xx, network, a body that is not its JSON).
 */
export type CaptchaReply =
  | { kind: 'answered'; success: boolean; errorCodes: string[]; score?: number; action?: string; hostname?: string }
  | { kind: 'unavailable'; reason: 'timeout' | 'status' | 'network' | 'malformed' };

/** One interface over every provider; the HTTP layer holds only this. */
export interface CaptchaVerifier {
  verify(request: CaptchaVerifyRequest): Promise<CaptchaReply>;
}

/**
 * `pass`: take the lead. `fail`: 422 captcha_failed (`why` is for logs and metrics, never the answer).
 * `unverified`: no verdict and failMode open: take the lead, flagged. `refuse`: no verdict and failMode
 * closed: 503.
 */
export type CaptchaDecision =
  | { verdict: 'pass' }
  | { verdict: 'fail'; why: string }
  | { verdict: 'unverified'; why: string }
  | { verdict: 'refuse'; why: string };

/**
 * Codes that speak about our own setup, not the visitor's token: a wrong or missing secret would
 * otherwise refuse every real lead, so they count as "no verdict" and follow failMode. Codes a visitor's
 * token can provoke are not among them, or fail-open would let that token through: `bad-request`,
 * hCaptcha's `sitekey-secret-mismatch` (a token from another site) and `not-using-dummy-passcode` (a
 * token from the public test sitekey).
 */
const SETUP_ERRORS = new Set(['missing-input-secret', 'invalid-input-secret', 'internal-error']);

function noVerdict(rule: Pick<FormCaptchaConfig, 'failMode'>, why: string): CaptchaDecision {
  return rule.failMode === 'open' ? { verdict: 'unverified', why } : { verdict: 'refuse', why };
}

/** The one rule from a provider's reply to what happens to the submission. Pure. */
export function decideCaptcha(rule: Pick<FormCaptchaConfig, 'provider' | 'failMode' | 'minScore' | 'action' | 'hostnames'>, reply: CaptchaReply): CaptchaDecision {
  if (reply.kind === 'unavailable') return noVerdict(rule, `provider ${reply.reason}`);
  if (!reply.success) {
    const setup = reply.errorCodes.find((code) => SETUP_ERRORS.has(code));
    if (setup) return noVerdict(rule, `provider refused our request: ${setup}`);
    return { verdict: 'fail', why: reply.errorCodes.join(',') || 'not-successful' };
  }
  // `success` alone is not enough: a token solved elsewhere or for another action is someone else's.
  if (rule.hostnames && !rule.hostnames.includes(reply.hostname ?? '')) return { verdict: 'fail', why: 'hostname-mismatch' };
  if (rule.action !== undefined && reply.action !== rule.action) return { verdict: 'fail', why: 'action-mismatch' };
  // hCaptcha's Enterprise score runs the other way (1 = bot), so minScore is reCAPTCHA's alone.
  if (rule.provider === 'recaptcha' && rule.minScore !== undefined) {
    if (reply.score === undefined) return { verdict: 'fail', why: 'score-missing' };
    if (reply.score < rule.minScore) return { verdict: 'fail', why: 'score-too-low' };
  }
  return { verdict: 'pass' };
}

/** Longest token accepted at all; Turnstile's are at most 2048 characters, the others shorter than this. */
export const MAX_CAPTCHA_TOKEN_LENGTH = 8192;

/** A token worth sending: a non-empty string of sane length (an array, object or huge value is not). */
export function usableCaptchaToken(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const token = value.trim();
  return token.length > 0 && token.length <= MAX_CAPTCHA_TOKEN_LENGTH ? token : undefined;
}
