/** The three siteverify APIs the fakes speak, as the providers document them (shared/reference spam-ha-backfill.md §1). */
export type CaptchaProviderName = 'turnstile' | 'recaptcha' | 'hcaptcha';

export interface ProviderFacts {
  /** Path of the siteverify endpoint on the fake, the same as on the real host. */
  path: string;
  /** The providers' published always-pass test secrets; the fake accepts exactly this one by default. */
  testSecret: string;
  /** What a second verification of the same token answers (tokens are single-use). */
  replayCode: string;
  /** Which optional reply fields this provider has. */
  hasAction: boolean;
  hasScore: boolean;
}

export const PROVIDERS: Readonly<Record<CaptchaProviderName, ProviderFacts>> = Object.freeze({
  turnstile: { path: '/turnstile/v0/siteverify', testSecret: '1x0000000000000000000000000000000AA', replayCode: 'timeout-or-duplicate', hasAction: true, hasScore: false },
  recaptcha: { path: '/recaptcha/api/siteverify', testSecret: '6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe', replayCode: 'timeout-or-duplicate', hasAction: true, hasScore: true },
  hcaptcha: { path: '/siteverify', testSecret: '0x0000000000000000000000000000000000000000', replayCode: 'invalid-or-already-seen-response', hasAction: false, hasScore: false },
});

export function providerAt(path: string): CaptchaProviderName | undefined {
  for (const [name, facts] of Object.entries(PROVIDERS) as Array<[CaptchaProviderName, ProviderFacts]>) if (facts.path === path) return name;
  return undefined;
}
