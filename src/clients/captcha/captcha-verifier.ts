import type { CaptchaProvider } from '../../config/form-captcha-config';
import type { CaptchaReply, CaptchaVerifier, CaptchaVerifyRequest } from '../../sources/captcha-decision';
import { hcaptcha } from './hcaptcha';
import type { ProviderWire } from './provider-wire';
import { recaptcha } from './recaptcha';
import { postSiteverify } from './siteverify-post';
import { turnstile } from './turnstile';

const PROVIDERS: ReadonlyMap<CaptchaProvider, ProviderWire> = new Map([
  ['turnstile', turnstile],
  ['recaptcha', recaptcha],
  ['hcaptcha', hcaptcha],
]);

/**
 * Verifies a token with its provider's siteverify API, once (tokens are single-use: a retry would
 * only earn `timeout-or-duplicate`). Never throws: an outage is a reply of kind `unavailable`.
 */
export function createCaptchaVerifier(options: { fetch?: typeof fetch } = {}): CaptchaVerifier {
  return {
    async verify(request: CaptchaVerifyRequest): Promise<CaptchaReply> {
      const wire = PROVIDERS.get(request.provider);
      if (!wire) return { kind: 'unavailable', reason: 'malformed' };
      const answer = await postSiteverify(request.verifyUrl ?? wire.defaultUrl, wire.form(request), request.timeoutMs, options.fetch);
      return answer.ok ? wire.reply(answer.body) : answer.reply;
    },
  };
}
