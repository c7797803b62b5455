/** A form's CAPTCHA check; shapes mirror schemas/config.schema.json#/definitions/formCaptcha. */
export type CaptchaProvider = 'turnstile' | 'recaptcha' | 'hcaptcha';

export interface FormCaptchaConfig {
  provider: CaptchaProvider;
  /** The provider's secret key (from `${VAR}`); never logged. */
  secret: string;
  /** reCAPTCHA v3: a lower score fails. */
  minScore?: number;
  action?: string;
  hostnames?: string[];
  /** hCaptcha: the sitekey the token must belong to. */
  siteKey?: string;
  verifyUrl?: string;
  /** No verdict from the provider: `open` takes the lead flagged, `closed` answers 503. */
  failMode: 'open' | 'closed';
  timeoutMs: number;
}
