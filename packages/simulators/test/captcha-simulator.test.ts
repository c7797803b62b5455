import { CAPTCHA_PROVIDERS, startCaptchaSimulator, type CaptchaProviderName, type CaptchaSimulator } from '../src';

let sim: CaptchaSimulator;
beforeAll(async () => {
  sim = await startCaptchaSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

async function verify(provider: CaptchaProviderName, form: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: Record<string, unknown> | string }> {
  const body = contentType === 'application/json' ? JSON.stringify(form) : new URLSearchParams(form).toString();
  const response = await fetch(sim.verifyUrl(provider), { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: text };
  }
}

describe.each(['turnstile', 'recaptcha', 'hcaptcha'] as const)('%s siteverify fake', (provider) => {
  const replay = CAPTCHA_PROVIDERS[provider].replayCode;

  it('serves the provider\'s own path and accepts its published test secret', () => {
    expect(sim.verifyUrl(provider)).toBe(`${sim.url}${CAPTCHA_PROVIDERS[provider].path}`);
    expect(sim.secret(provider)).toBe(CAPTCHA_PROVIDERS[provider].testSecret);
  });

  it('answers success once per issued token, then the provider\'s replay code', async () => {
    const token = sim.issueToken({ provider, hostname: 'shop.example.com' });
    const first = await verify(provider, { secret: sim.secret(provider), response: token, remoteip: '203.0.113.7' });
    expect(first).toMatchObject({ status: 200, body: { success: true, hostname: 'shop.example.com', 'error-codes': [] } });
    expect((first.body as Record<string, unknown>).challenge_ts).toEqual(expect.any(String));
    expect(await verify(provider, { secret: sim.secret(provider), response: token })).toMatchObject({ body: { success: false, 'error-codes': [replay] } });
    expect(sim.calls[0]).toMatchObject({ provider, response: token, remoteip: '203.0.113.7', secretMatched: true });
  });

  it.each([
    ['no secret', {}, 'missing-input-secret'],
    ['a wrong secret', { secret: 'nope' }, 'invalid-input-secret'],
  ])('refuses %s', async (_name, form, code) => {
    expect(await verify(provider, { response: 'anything', ...form })).toMatchObject({ status: 200, body: { success: false, 'error-codes': [code] } });
  });

  it('refuses a missing or unknown token', async () => {
    expect(await verify(provider, { secret: sim.secret(provider) })).toMatchObject({ body: { 'error-codes': ['missing-input-response'] } });
    expect(await verify(provider, { secret: sim.secret(provider), response: 'made-up' })).toMatchObject({ body: { 'error-codes': ['invalid-input-response'] } });
  });

  it('replies with a token\'s configured error codes', async () => {
    const token = sim.issueToken({ provider, errorCodes: ['internal-error'] });
    expect(await verify(provider, { secret: sim.secret(provider), response: token })).toMatchObject({ body: { success: false, 'error-codes': ['internal-error'] } });
  });

  it('injects faults for the next N calls: a status, a body that is not JSON, a dropped connection, a delay', async () => {
    sim.fault({ kind: 'status', status: 503, count: 2 });
    expect((await verify(provider, { secret: 's', response: 't' })).status).toBe(503);
    expect((await verify(provider, { secret: 's', response: 't' })).status).toBe(503);
    expect((await verify(provider, { secret: 's', response: 't' })).status).toBe(200);
    sim.fault({ kind: 'not-json' });
    expect(await verify(provider, { secret: 's', response: 't' })).toMatchObject({ status: 200, body: '<html>maintenance</html>' });
    sim.fault({ kind: 'drop' });
    await expect(verify(provider, { secret: 's', response: 't' })).rejects.toThrow();
    // A provider that hangs: a client that gives up first has no answer.
    sim.fault({ kind: 'delay', ms: 10_000 });
    const hung = fetch(sim.verifyUrl(provider), { method: 'POST', body: 'secret=s&response=t', signal: AbortSignal.timeout(200) });
    await expect(hung).rejects.toThrow();
  });
});

describe('provider specifics', () => {
  it('Turnstile takes JSON bodies too and returns the action', async () => {
    const token = sim.issueToken({ provider: 'turnstile', action: 'contact' });
    expect(await verify('turnstile', { secret: sim.secret('turnstile'), response: token }, 'application/json')).toMatchObject({ body: { success: true, action: 'contact' } });
  });

  it('reCAPTCHA v3 returns score and action; a v2 token has no score', async () => {
    const v3 = sim.issueToken({ provider: 'recaptcha', score: 0.3, action: 'submit' });
    expect(await verify('recaptcha', { secret: sim.secret('recaptcha'), response: v3 })).toMatchObject({ body: { success: true, score: 0.3, action: 'submit' } });
    const v2 = sim.issueToken({ provider: 'recaptcha' });
    expect((await verify('recaptcha', { secret: sim.secret('recaptcha'), response: v2 })).body).not.toHaveProperty('score');
  });

  it('hCaptcha checks an expected sitekey', async () => {
    const token = sim.issueToken({ provider: 'hcaptcha', siteKey: '10000000-ffff-ffff-ffff-000000000001' });
    expect(await verify('hcaptcha', { secret: sim.secret('hcaptcha'), response: token, sitekey: 'another' })).toMatchObject({ body: { success: false, 'error-codes': ['sitekey-secret-mismatch'] } });
    expect(sim.calls[0]!.sitekey).toBe('another');
  });

  it('a token of one provider is unknown to another', async () => {
    const token = sim.issueToken({ provider: 'turnstile' });
    expect(await verify('hcaptcha', { secret: sim.secret('hcaptcha'), response: token })).toMatchObject({ body: { 'error-codes': ['invalid-input-response'] } });
  });
});
