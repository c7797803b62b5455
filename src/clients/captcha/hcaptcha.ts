import type { CaptchaReply, CaptchaVerifyRequest } from '../../sources/captcha-decision';
import { commonReply, siteverifyForm } from './siteverify-post';
import type { ProviderWire } from './provider-wire';

/**
 * hCaptcha: docs.hcaptcha.com. Its Enterprise `score` means the opposite of reCAPTCHA's (1 = bot), so
 * it is not passed on: nothing may compare it with a reCAPTCHA threshold by mistake.
 */
export const hcaptcha: ProviderWire = {
  defaultUrl: 'https://api.hcaptcha.com/siteverify',
  form(request: CaptchaVerifyRequest): URLSearchParams {
    const form = siteverifyForm(request);
    if (request.siteKey) form.set('sitekey', request.siteKey);
    return form;
  },
  reply(body: Record<string, unknown>): CaptchaReply {
    return commonReply(body);
  },
};
