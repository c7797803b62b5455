import { startCaptchaSimulator, type CaptchaProviderName, type CaptchaSimulator } from '@leadgate/simulators';
import { createCaptchaVerifier } from '../../src/clients/captcha/captcha-verifier';
import type { CaptchaVerifyRequest } from '../../src/sources/captcha-decision';

let sim: CaptchaSimulator;
const verifier = createCaptchaVerifier();
beforeAll(async () => {
  sim = await startCaptchaSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

const request = (provider: CaptchaProviderName, token: string, over: Partial<CaptchaVerifyRequest> = {}): CaptchaVerifyRequest => ({
  provider,
  secret: sim.secret(provider),
  token,
  verifyUrl: sim.verifyUrl(provider),
  timeoutMs: 2000,
  ...over,
});

describe.each(['turnstile', 'recaptcha', 'hcaptcha'] as const)('the %s client against its siteverify fake', (provider) => {
  it('sends secret, token and the visitor\'s IP form-encoded, and reads a success', async () => {
    const token = sim.issueToken({ provider, hostname: 'www.example.com' });
    expect(await verifier.verify(request(provider, token, { remoteIp: '198.51.100.4' }))).toMatchObject({ kind: 'answered', success: true, errorCodes: [], hostname: 'www.example.com' });
    expect(sim.calls).toEqual([expect.objectContaining({ provider, response: token, remoteip: '198.51.100.4', secretMatched: true, contentType: 'application/x-www-form-urlencoded' })]);
  });

  it('reads failure codes: unknown token, replay, wrong secret', async () => {
    expect(await verifier.verify(request(provider, 'made-up'))).toEqual({ kind: 'answered', success: false, errorCodes: ['invalid-input-response'] });
    const token = sim.issueToken({ provider });
    await verifier.verify(request(provider, token));
    const replay = provider === 'hcaptcha' ? 'invalid-or-already-seen-response' : 'timeout-or-duplicate';
    expect(await verifier.verify(request(provider, token))).toMatchObject({ success: false, errorCodes: [replay] });
    expect(await verifier.verify(request(provider, sim.issueToken({ provider }), { secret: 'wrong' }))).toMatchObject({ success: false, errorCodes: ['invalid-input-secret'] });
  });

  it.each([
    ['a 5xx', { kind: 'status', status: 502 } as const, 'status'],
    ['a body that is not JSON', { kind: 'not-json' } as const, 'malformed'],
    ['a dropped connection', { kind: 'drop' } as const, 'network'],
    ['no answer within timeoutMs', { kind: 'delay', ms: 5000 } as const, 'timeout'],
  ])('reports %s as unavailable, never throws', async (_name, fault, reason) => {
    sim.fault(fault);
    expect(await verifier.verify(request(provider, sim.issueToken({ provider }), { timeoutMs: 300 }))).toEqual({ kind: 'unavailable', reason });
  });

  it('reports a closed port as a network outage', async () => {
    expect(await verifier.verify(request(provider, 't', { verifyUrl: 'http://127.0.0.1:1/siteverify' }))).toEqual({ kind: 'unavailable', reason: 'network' });
  });
});

describe('provider specifics', () => {
  it('Turnstile passes the action on', async () => {
    const token = sim.issueToken({ provider: 'turnstile', action: 'contact' });
    expect(await verifier.verify(request('turnstile', token))).toMatchObject({ success: true, action: 'contact' });
  });

  it('reCAPTCHA v3 passes score and action on', async () => {
    const token = sim.issueToken({ provider: 'recaptcha', score: 0.7, action: 'submit' });
    expect(await verifier.verify(request('recaptcha', token))).toMatchObject({ success: true, score: 0.7, action: 'submit' });
  });

  it('hCaptcha sends the expected sitekey and keeps its inverted score out of the reply', async () => {
    const token = sim.issueToken({ provider: 'hcaptcha', siteKey: 'site-a' });
    expect(await verifier.verify(request('hcaptcha', token, { siteKey: 'site-b' }))).toMatchObject({ success: false, errorCodes: ['sitekey-secret-mismatch'] });
    expect(sim.calls[0]!.sitekey).toBe('site-b');
    const ok = sim.issueToken({ provider: 'hcaptcha', siteKey: 'site-a' });
    expect(await verifier.verify(request('hcaptcha', ok, { siteKey: 'site-a' }))).not.toHaveProperty('score');
  });
});
