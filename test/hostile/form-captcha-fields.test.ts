import { startCaptchaSimulator, type CaptchaSimulator } from '@leadgate/simulators';
import { expectSafe, json, PROTO_NAMES, startHostileStack, type HostileCase, type HostileStack } from './hostile-stack';

let captcha: CaptchaSimulator;
let h: HostileStack;
beforeAll(async () => {
  captcha = await startCaptchaSimulator();
  h = await startHostileStack('form-captcha-fields', {}, {
    guarded: { destination: 'main', captcha: { provider: 'turnstile', secret: captcha.secret('turnstile'), verifyUrl: captcha.verifyUrl('turnstile'), failMode: 'closed', timeoutMs: 2000 } },
    timed: { destination: 'main', minFillSeconds: 3 },
  });
});
afterAll(async () => {
  await h.stop();
  await captcha.close();
});
beforeEach(() => captcha.reset());

const FIELD = 'cf-turnstile-response';
const JANE = { email: 'jane@example.com' };
const post = (name: string, body: unknown, status: number | number[], error?: string, headers: Array<[string, string]> = [], form = 'guarded'): HostileCase => ({
  name,
  status,
  error,
  request: json('POST', `/v1/forms/${form}`, body, headers),
});
const urlencoded = (name: string, body: string, status: number, error?: string): HostileCase => ({
  name,
  status,
  error,
  request: { method: 'POST', path: '/v1/forms/guarded', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Accept', 'application/json']], body },
});

describe('CAPTCHA tokens a widget never sends: refused without asking the provider', () => {
  it.each([
    post('no token at all', JANE, 422, 'captcha_failed'),
    post('an empty token', { ...JANE, [FIELD]: '' }, 422, 'captcha_failed'),
    post('a token of blanks', { ...JANE, [FIELD]: '   \t ' }, 422, 'captcha_failed'),
    post('a token of 9,000 characters', { ...JANE, [FIELD]: 'x'.repeat(9000) }, 422, 'captcha_failed'),
    post('a token of 15,000 characters in the header', JANE, 422, 'captcha_failed', [['Captcha-Token', 't'.repeat(15_000)]]),
    post('a list of tokens (JSON array)', { ...JANE, [FIELD]: ['a', 'b'] }, 422, 'captcha_failed'),
    post('a number as the token', { ...JANE, [FIELD]: 12345 }, 422, 'captcha_failed'),
    post('a boolean as the token', { ...JANE, [FIELD]: true }, 422, 'captcha_failed'),
    post('an object as the token', { ...JANE, [FIELD]: { token: 'x' } }, 422, 'validation_failed'),
    post('null as the token', { ...JANE, [FIELD]: null }, 422),
    urlencoded('the token field repeated (urlencoded)', `email=jane%40example.com&${FIELD}=a&${FIELD}=b`, 422, 'captcha_failed'),
    post('the token under another provider\'s field', { ...JANE, 'h-captcha-response': 'x', 'g-recaptcha-response': 'y' }, 422, 'captcha_failed'),
    post('a token nested under __proto__', `{"email":"jane@example.com","__proto__":{"${FIELD}":"x"}}`, 422, 'validation_failed'),
  ])('$name', async (c) => {
    await expectSafe(h, c);
    expect(captcha.calls).toEqual([]);
  });
});

describe('CAPTCHA tokens the provider gets to judge', () => {
  it.each([
    post('a made-up token', { ...JANE, [FIELD]: 'made-up' }, 422, 'captcha_failed'),
    post('a token with CRLF and NUL', { ...JANE, [FIELD]: 'a\r\nb\u0000c' }, 422, 'captcha_failed'),
    post('a token of emoji and RTL marks', { ...JANE, [FIELD]: '😀\u202e\u200f' }, 422, 'captcha_failed'),
    post('a token that looks like form encoding', { ...JANE, [FIELD]: 'x&secret=other&response=y' }, 422, 'captcha_failed'),
    post('two Captcha-Token headers', JANE, 422, 'captcha_failed', [['Captcha-Token', 'a'], ['Captcha-Token', 'b']]),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });

  it('sends a token that looks like form encoding as one value, never as extra parameters', async () => {
    await expectSafe(h, post('smuggling', { ...JANE, [FIELD]: 'x&secret=other' }, 422, 'captcha_failed'));
    expect(captcha.calls).toEqual([expect.objectContaining({ response: 'x&secret=other', secretMatched: true })]);
  });
});

describe('fields named like Object.prototype on a CAPTCHA form', () => {
  it.each(PROTO_NAMES.map((name) => post(`a field named ${name} holding a token`, `{"email":"jane@example.com",${JSON.stringify(name)}:"tok"}`, 422, 'captcha_failed')))('$name', async (c) => {
    await expectSafe(h, c);
    expect(captcha.calls).toEqual([]);
  });

  it('a valid token beside fields named like Object.prototype is a lead', async () => {
    const token = captcha.issueToken({ provider: 'turnstile' });
    const answer = await expectSafe(h, post('proto names and a token', `{"email":"jane@example.com","constructor":"c","__proto__":"p","${FIELD}":"${token}"}`, 202));
    const lead = await h.lead((JSON.parse(answer.body) as { id: string }).id);
    expect(JSON.stringify(lead)).not.toContain(token);
  });
});

describe('fill-time stamps a snippet never sends: no judgement, the lead is taken', () => {
  it.each([
    post('a stamp of 40 digits', { ...JANE, lg_shown_at: '9'.repeat(40) }, 202, undefined, [], 'timed'),
    post('a negative stamp', { ...JANE, lg_shown_at: '-1' }, 202, undefined, [], 'timed'),
    post('a stamp in exponent notation', { ...JANE, lg_shown_at: '1e12' }, 202, undefined, [], 'timed'),
    post('a list of stamps', { ...JANE, lg_shown_at: ['1', '2'] }, 202, undefined, [], 'timed'),
    post('a number, not a string', { ...JANE, lg_shown_at: 1 }, 202, undefined, [], 'timed'),
    post('a stamp field named __proto__-like', `{"email":"jane@example.com","lg_shown_at":"0","__proto__":"1"}`, 202, undefined, [], 'timed'),
  ])('$name', async (c) => {
    await expectSafe(h, c);
  });
});
