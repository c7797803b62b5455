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
  if (submission.keyed && (await deps.redis.get(passedKey).catch(() => null)) === submission.leadId) return undefined;

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
      return refuse(deps, submission.formId, decision.why);
    case 'unverified':
    case 'refuse':
      deps.metrics.captchaUnavailable.inc({ provider: rule.provider, fail_mode: rule.failMode });
      deps.logger.warn({ formId: submission.formId, provider: rule.provider, why: decision.why, failMode: rule.failMode }, 'captcha provider gave no verdict');
      if (decision.verdict === 'refuse') throw captchaUnavailable();
      return UNVERIFIED_FLAG;
  }
}

function refuse(deps: Pick<CaptchaCheckDeps, 'metrics' | 'logger'>, formId: string, why: string): never {
  deps.metrics.spam.inc({ source: 'form', reason: 'captcha_failed' });
  deps.logger.info({ formId, why }, 'captcha failed; submission refused');
  throw captchaFailed();
}
