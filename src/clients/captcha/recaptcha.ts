import type { CaptchaReply } from '../../sources/captcha-decision';
import { commonReply, siteverifyForm } from './siteverify-post';
import type { ProviderWire } from './provider-wire';

/** Google reCAPTCHA v2 and v3: developers.google.com/recaptcha/docs/verify (v3 adds score and action). */
export const recaptcha: ProviderWire = {
  defaultUrl: 'https://www.google.com/recaptcha/api/siteverify',
  form: siteverifyForm,
  reply(body: Record<string, unknown>): CaptchaReply {
    return {
      ...commonReply(body),
      ...(typeof body.score === 'number' && Number.isFinite(body.score) ? { score: body.score } : {}),
      ...(typeof body.action === 'string' ? { action: body.action } : {}),
    };
  },
};
