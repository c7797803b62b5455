import { createHash } from 'node:crypto';
import type { FormCaptchaConfig } from '../config/form-captcha-config';
import type { ExtraField } from '../lead/lead';
import { decideCaptcha, usableCaptchaToken, type CaptchaVerifier } from '../sources/captcha-decision';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import type { RedisClient } from '../shared/redis-client';
import { HttpError } from './http-error';
import { rawCaptchaToken } from './spam-fields';

/** How long a passed token vouches for a retry of the same submission (provider tokens live ≤ 5 minutes). */
const PASSED_TTL_SECONDS = 600;

/** The line a lead taken without a verdict carries in COMMENTS. */
export const UNVERIFIED_FLAG: ExtraField = Object.freeze({ label: 'captcha unverified', value: 'provider unavailable' });

/** The whole answer a bot gets: no provider codes, no score, nothing to tune against. */
export const captchaFailed = (): HttpError => new HttpError(422, 'captcha_failed', 'the CAPTCHA check failed; please solve it again');

export const captchaUnavailable = (): HttpError =>
  new HttpError(503, 'captcha_unavailable', 'the submission cannot be checked right now; please retry', undefined, { 'Retry-After': '10' });

export interface CaptchaCheckDeps {
  /** Absent (an app built without clients): every check is "no verdict" and follows failMode. */
  verifier?: CaptchaVerifier;
  redis: RedisClient;
  prefix: string;
  metrics: Metrics;
  logger: Logger;
}

export interface CaptchaSubmission {
  formId: string;
  body: unknown;
  header: string | string[] | undefined;
  remoteIp: string | undefined;
  leadId: string;
  /** The lead id comes from an Idempotency-Key: a retry of an accepted submission may reuse its token. */
  keyed: boolean;
}

/**
 * Verifies a form's CAPTCHA token once, server-side, before the lead is queued. Resolves with a flag
 * for COMMENTS when the lead is taken unverified (failMode open), or nothing when it passed; throws
 * 422 captcha_failed or 503 captcha_unavailable. A keyed retry of a submission whose token already
 * passed is let through without asking again: the token is spent, and the retry is the same job.
 */
export async function checkCaptcha(deps: CaptchaCheckDeps, rule: FormCaptchaConfig, submission: CaptchaSubmission): Promise<ExtraField | undefined> {
  const token = usableCaptchaToken(rawCaptchaToken(rule.provider, submission.body, submission.header));
  if (token === undefined) return refuse(deps, submission.formId, 'no usable token');
  const passedKey = `${deps.prefix}:captcha:${submission.formId}:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
  const twin = submission.keyed ? await settledTwin(deps, passedKey, submission.leadId, rule.timeoutMs) : 'ask';
  if (twin === 'passed') return undefined;
  if (twin === 'taken') return refuse(deps, submission.formId, 'token held by another submission');
  // Only the claim's holder may lift it: a refused replay must not erase the first request's pass.
  const release = async (): Promise<void> => {
    if (twin === 'claimed') await deps.redis.del(passedKey).catch(() => undefined);
  };

  const reply = deps.verifier
    ? await deps.verifier.verify({
        provider: rule.provider,
        secret: rule.secret,
        token,
        timeoutMs: rule.timeoutMs,
        ...(submission.remoteIp ? { remoteIp: submission.remoteIp } : {}),
        ...(rule.siteKey ? { siteKey: rule.siteKey } : {}),
        ...(rule.verifyUrl ? { verifyUrl: rule.verifyUrl } : {}),
      })
    : ({ kind: 'unavailable', reason: 'network' } as const);
  const decision = decideCaptcha(rule, reply);
  switch (decision.verdict) {
    case 'pass':
      if (submission.keyed) await deps.redis.set(passedKey, submission.leadId, 'EX', PASSED_TTL_SECONDS).catch(() => undefined);
      return undefined;
    case 'fail':
      await release();
      return refuse(deps, submission.formId, decision.why);
    case 'unverified':
    case 'refuse':
      await release();
      deps.metrics.captchaUnavailable.inc({ provider: rule.provider, fail_mode: rule.failMode });
      deps.logger.warn({ formId: submission.formId, provider: rule.provider, why: decision.why, failMode: rule.failMode }, 'captcha provider gave no verdict');
      if (decision.verdict === 'refuse') throw captchaUnavailable();
      return UNVERIFIED_FLAG;
  }
}

/** How often a keyed twin looks whether the first request's verification has ended. */
const TWIN_POLL_MS = 25;

/**
 * A browser or proxy that sends one keyed submission twice at once would spend the token on the first
 * request and see the second refused as a replay. The first request claims the token (`pending:<lead>`)
 * before asking the provider; a twin with the same lead id waits for that verdict and shares a pass.
 * A keyed submission of another lead with a token already claimed is a replay. Otherwise (the first
 * request refused or without a verdict, Redis away) the twin asks the provider itself.
 */
async function settledTwin(deps: CaptchaCheckDeps, passedKey: string, leadId: string, timeoutMs: number): Promise<'claimed' | 'passed' | 'taken' | 'ask'> {
  const pending = `pending:${leadId}`;
  const claimMs = timeoutMs + 2000;
  const claimed = await deps.redis.set(passedKey, pending, 'PX', claimMs, 'NX').catch(() => null);
  if (claimed === 'OK') return 'claimed';
  const deadline = Date.now() + claimMs;
  for (;;) {
    const holder = await deps.redis.get(passedKey).catch(() => null);
    if (holder === leadId) return 'passed';
    // Tokens are single-use: one another submission holds is a replay, whatever the provider would say.
    if (holder !== null && holder !== pending) return 'taken';
    if (holder === null || Date.now() > deadline) return 'ask';
    await new Promise((resolve) => setTimeout(resolve, TWIN_POLL_MS));
  }
}

function refuse(deps: Pick<CaptchaCheckDeps, 'metrics' | 'logger'>, formId: string, why: string): never {
  deps.metrics.spam.inc({ source: 'form', reason: 'captcha_failed' });
  deps.logger.info({ formId, why }, 'captcha failed; submission refused');
  throw captchaFailed();
}
