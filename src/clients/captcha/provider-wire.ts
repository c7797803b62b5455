import type { CaptchaReply, CaptchaVerifyRequest } from '../../sources/captcha-decision';

/** What differs between providers: where to post, what to send, which reply fields to read. */
export interface ProviderWire {
  defaultUrl: string;
  form(request: CaptchaVerifyRequest): URLSearchParams;
  reply(body: Record<string, unknown>): CaptchaReply;
}
