import type { CaptchaReply } from '../../sources/captcha-decision';
import { commonReply, siteverifyForm } from './siteverify-post';
import type { ProviderWire } from './provider-wire';

/** Cloudflare Turnstile: developers.cloudflare.com/turnstile/get-started/server-side-validation/ */
export const turnstile: ProviderWire = {
  defaultUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  form: siteverifyForm,
  reply(body: Record<string, unknown>): CaptchaReply {
    return { ...commonReply(body), ...(typeof body.action === 'string' ? { action: body.action } : {}) };
  },
};
