import type { CaptchaReply, CaptchaVerifyRequest } from '../../sources/captcha-decision';
import { commonReply } from './siteverify-post';
import type { ProviderWire } from './provider-wire';

/** Cloudflare Turnstile: developers.cloudflare.com/turnstile/get-started/server-side-validation/ */
export const turnstile: ProviderWire = {
  defaultUrl: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  form(request: CaptchaVerifyRequest): URLSearchParams {
    const form = new URLSearchParams({ secret: request.secret, response: request.token });
    if (request.remoteIp) form.set('remoteip', request.remoteIp);
    return form;
  },
  reply(body: Record<string, unknown>): CaptchaReply {
    return { ...commonReply(body), ...(typeof body.action === 'string' ? { action: body.action } : {}) };
  },
};
