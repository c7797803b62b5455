import { decideCaptcha, usableCaptchaToken, MAX_CAPTCHA_TOKEN_LENGTH, type CaptchaReply } from '../../src/sources/captcha-decision';
import { judgeFillTime } from '../../src/sources/fill-time';

const answered = (over: Partial<Extract<CaptchaReply, { kind: 'answered' }>> = {}): CaptchaReply => ({ kind: 'answered', success: true, errorCodes: [], hostname: 'www.example.com', ...over });
const open = { provider: 'turnstile', failMode: 'open' } as const;
const closed = { provider: 'turnstile', failMode: 'closed' } as const;

describe('decideCaptcha: what a provider reply means for the submission', () => {
  it('passes a successful reply when nothing more is configured', () => {
    expect(decideCaptcha(open, answered())).toEqual({ verdict: 'pass' });
  });

  it.each([
    ['an unknown token', ['invalid-input-response']],
    ['no token', ['missing-input-response']],
    ['a replayed Turnstile or reCAPTCHA token', ['timeout-or-duplicate']],
    ['a replayed hCaptcha token', ['invalid-or-already-seen-response']],
    ['a malformed request', ['bad-request']],
    ['a token from another hCaptcha site', ['sitekey-secret-mismatch']],
    ['a dummy token from the public test sitekey', ['not-using-dummy-passcode']],
    ['no codes at all', []],
  ])('fails %s, whatever the failMode', (_name, errorCodes) => {
    for (const rule of [open, closed]) expect(decideCaptcha(rule, answered({ success: false, errorCodes })).verdict).toBe('fail');
  });

  it.each([['missing-input-secret'], ['invalid-input-secret'], ['internal-error']])('treats %s (our setup or their fault, not the visitor\'s) as no verdict', (code) => {
    expect(decideCaptcha(open, answered({ success: false, errorCodes: [code] })).verdict).toBe('unverified');
    expect(decideCaptcha(closed, answered({ success: false, errorCodes: [code] })).verdict).toBe('refuse');
  });

  it.each(['timeout', 'status', 'network', 'malformed'] as const)('an outage (%s) is unverified when open, refused when closed', (reason) => {
    expect(decideCaptcha(open, { kind: 'unavailable', reason })).toEqual({ verdict: 'unverified', why: `provider ${reason}` });
    expect(decideCaptcha(closed, { kind: 'unavailable', reason })).toEqual({ verdict: 'refuse', why: `provider ${reason}` });
  });

  it('checks the hostname and the action when configured', () => {
    const rule = { ...open, hostnames: ['www.example.com', 'example.com'], action: 'contact' };
    expect(decideCaptcha(rule, answered({ action: 'contact' })).verdict).toBe('pass');
    expect(decideCaptcha(rule, answered({ action: 'contact', hostname: 'evil.example' }))).toEqual({ verdict: 'fail', why: 'hostname-mismatch' });
    expect(decideCaptcha(rule, answered({ action: 'login' }))).toEqual({ verdict: 'fail', why: 'action-mismatch' });
    expect(decideCaptcha(rule, answered({}))).toEqual({ verdict: 'fail', why: 'action-mismatch' });
  });

  it('holds reCAPTCHA v3 scores to minScore; a reply without a score fails it', () => {
    const rule = { provider: 'recaptcha', failMode: 'open', minScore: 0.5 } as const;
    expect(decideCaptcha(rule, answered({ score: 0.9 })).verdict).toBe('pass');
    expect(decideCaptcha(rule, answered({ score: 0.5 })).verdict).toBe('pass');
    expect(decideCaptcha(rule, answered({ score: 0.3 }))).toEqual({ verdict: 'fail', why: 'score-too-low' });
    expect(decideCaptcha(rule, answered({}))).toEqual({ verdict: 'fail', why: 'score-missing' });
  });

  it('ignores minScore for providers whose score means something else', () => {
    expect(decideCaptcha({ provider: 'hcaptcha', failMode: 'open', minScore: 0.5 }, answered({ score: 0.9 })).verdict).toBe('pass');
  });
});

describe('usableCaptchaToken: what is worth sending to a provider', () => {
  it('takes a trimmed non-empty string up to the length limit', () => {
    expect(usableCaptchaToken(' abc ')).toBe('abc');
    expect(usableCaptchaToken('x'.repeat(MAX_CAPTCHA_TOKEN_LENGTH))).toHaveLength(MAX_CAPTCHA_TOKEN_LENGTH);
  });

  it.each([
    ['a missing token', undefined],
    ['an empty token', ''],
    ['a blank token', '   '],
    ['a huge token', 'x'.repeat(MAX_CAPTCHA_TOKEN_LENGTH + 1)],
    ['a list of tokens', ['a', 'b']],
    ['an object', { toString: () => 'a' }],
    ['a number', 12345],
  ])('refuses %s', (_name, value) => {
    expect(usableCaptchaToken(value)).toBeUndefined();
  });
});

describe('judgeFillTime: the minimum fill time', () => {
  const now = 1_700_000_100_000;
  it('judges a form sent sooner than minFillSeconds after it was shown as too fast', () => {
    expect(judgeFillTime({ shownAt: String(now - 1_000) }, 3, now)).toBe('too_fast');
    expect(judgeFillTime({ shownAt: String(now - 3_000) }, 3, now)).toBeUndefined();
    expect(judgeFillTime({ shownAt: String(now - 60_000) }, 3, now)).toBeUndefined();
  });

  it("trusts the browser's own elapsed time over its clock, which may be set wrong", () => {
    // The visitor's clock runs 10 s fast: the stamp alone would make 12 s of typing look like 2 s.
    expect(judgeFillTime({ shownAt: String(now - 2_000), fillMs: '12000' }, 3, now)).toBeUndefined();
    expect(judgeFillTime({ shownAt: String(now - 60_000), fillMs: '800' }, 3, now)).toBe('too_fast');
    expect(judgeFillTime({ shownAt: String(now - 1_000), fillMs: 'soon' }, 3, now)).toBe('too_fast');
  });

  it.each([
    ['the rule is off', String(now), undefined],
    ['there is no stamp (a plain HTML form)', undefined, 3],
    ['the stamp is not a number', 'soon', 3],
    ['the stamp is negative', '-5', 3],
    ['the stamp is absurdly long', '9'.repeat(40), 3],
    ['the stamp is in the future (the browser clock runs ahead)', String(now + 5_000), 3],
  ])('judges nothing when %s', (_name, stamp, min) => {
    expect(judgeFillTime({ shownAt: stamp }, min, now)).toBeUndefined();
  });
});
