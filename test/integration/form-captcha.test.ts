import { Queue } from 'bullmq';
import { startCaptchaSimulator, type CaptchaSimulator } from '@leadgate/simulators';
import { deliveryQueueName } from '../../src/queue/jobs';
import { startStack, postJson, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

let captcha: CaptchaSimulator;
let stack: Stack;

beforeAll(async () => {
  captcha = await startCaptchaSimulator();
  const rule = (provider: 'turnstile' | 'recaptcha' | 'hcaptcha', over: Record<string, unknown> = {}) => ({
    destination: 'main',
    captcha: { provider, secret: captcha.secret(provider), verifyUrl: captcha.verifyUrl(provider), timeoutMs: 400, ...over },
  });
  stack = await startStack('form-captcha', {
    overrides: {
      acceptAnyForm: false,
      forms: {
        turnstile: rule('turnstile', { failMode: 'open', action: 'contact', hostnames: ['www.example.com'] }),
        turnstileClosed: rule('turnstile', { failMode: 'closed' }),
        recaptcha: rule('recaptcha', { failMode: 'closed', minScore: 0.5, action: 'submit' }),
        recaptchaV2: rule('recaptcha', { failMode: 'open' }),
        hcaptcha: rule('hcaptcha', { failMode: 'open', siteKey: 'site-a' }),
        wrongSecret: rule('hcaptcha', { failMode: 'open', secret: 'not-the-secret' }),
      },
    } as never,
  });
});

afterAll(async () => {
  await stack.stop();
  await captcha.close();
});

beforeEach(() => captcha.reset());

const url = (form: string) => `${stack.api.url}/v1/forms/${form}`;
const JANE = { name: 'Jane Doe', email: 'jane@example.com' };

async function queuedJobs(): Promise<number> {
  const queue = new Queue(deliveryQueueName('main'), { connection: { url: stack.config.redis.url }, prefix: stack.prefix });
  const counts = await queue.getJobCounts();
  await queue.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function delivered(id: string): Promise<Record<string, unknown>> {
  const lead = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), `lead ${id} in Bitrix24`);
  return lead.fields;
}

async function metrics(): Promise<string> {
  return (await fetch(`${stack.api.url}/metrics`)).text();
}

async function expectCaptchaFailed(response: Response): Promise<void> {
  expect(response.status).toBe(422);
  // Machine-readable, and nothing a bot could tune against: no provider codes, no score.
  expect(await response.json()).toEqual({ error: 'captcha_failed', message: 'the CAPTCHA check failed; please solve it again' });
}

describe('Turnstile (failMode open, action and hostname checked)', () => {
  it('verifies the widget\'s token with the secret and the visitor\'s IP, then queues the lead', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    const response = await postJson(url('turnstile'), { ...JANE, message: 'Hi', 'cf-turnstile-response': token });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(captcha.calls).toEqual([expect.objectContaining({ provider: 'turnstile', response: token, secretMatched: true, remoteip: expect.stringMatching(/127\.0\.0\.1/) })]);
    // The token is no lead data: not in COMMENTS.
    expect((await delivered(id)).COMMENTS).toBe('Hi');
  });

  it('takes the token from the Captcha-Token header when the body has none', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    expect((await postJson(url('turnstile'), JANE, { 'captcha-token': token })).status).toBe(202);
  });

  it.each([
    ['an unknown token', () => 'made-up'],
    ['a token made for another action', () => captcha.issueToken({ provider: 'turnstile', action: 'login', hostname: 'www.example.com' })],
    ['a token solved on another site', () => captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'evil.example' })],
  ])('refuses %s with 422 captcha_failed and queues nothing', async (_name, token) => {
    const before = await queuedJobs();
    await expectCaptchaFailed(await postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token() }));
    expect(await queuedJobs()).toBe(before);
  });

  it('refuses a missing token without asking the provider', async () => {
    await expectCaptchaFailed(await postJson(url('turnstile'), JANE));
    expect(captcha.calls).toEqual([]);
  });

  it('refuses a replayed token: tokens are single-use', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    expect((await postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token })).status).toBe(202);
    await expectCaptchaFailed(await postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token }));
  });

  it('lets a retry with the same Idempotency-Key through without spending the token twice: one lead', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    const post = () => postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token }, { 'idempotency-key': 'retry-after-lost-answer' });
    const first = (await (await post()).json()) as { id: string };
    const retry = await post();
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as { id: string }).id).toBe(first.id);
    expect(captcha.calls).toHaveLength(1);
  });

  it('answers two copies of one keyed submission sent at once (a double click, a proxy retry) alike: one provider call, one lead', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    // The provider takes its time, so the second copy arrives while the first is being verified.
    captcha.fault({ kind: 'delay', ms: 150, count: 1 });
    const post = () => postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token }, { 'idempotency-key': 'double-click' });
    const answers = await Promise.all([post(), post()]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const [a, b] = (await Promise.all(answers.map((r) => r.json()))) as Array<{ id: string }>;
    expect(a!.id).toBe(b!.id);
    expect(captcha.calls).toHaveLength(1);
    await delivered(a!.id);
    expect(stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === a!.id)).toHaveLength(1);
  });

  it('refuses, without asking the provider, another keyed submission that reuses a token being verified, and keeps the first one\'s pass', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    captcha.fault({ kind: 'delay', ms: 150, count: 1 });
    const post = (key: string) => postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token }, { 'idempotency-key': key });
    const first = post('owner');
    // The owner's request is with the provider (its claim taken before that) when the replay arrives.
    await waitFor(() => captcha.calls.length === 1, 'the owner asked the provider');
    await expectCaptchaFailed(await post('thief'));
    expect((await first).status).toBe(202);
    // The owner's retry is still let through on the recorded pass.
    expect((await post('owner')).status).toBe(202);
    expect(captcha.calls).toHaveLength(1);
  });

  it('checks field errors first, so a visitor who fixes one keeps an unspent token', async () => {
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    const invalid = await postJson(url('turnstile'), { name: 'Jane', email: 'not-an-email', 'cf-turnstile-response': token });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: string }).error).toBe('validation_failed');
    expect(captcha.calls).toEqual([]);
    expect((await postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': token })).status).toBe(202);
  });

  it.each([
    ['times out', { kind: 'delay', ms: 5000 } as const],
    ['answers 5xx', { kind: 'status', status: 503 } as const],
    ['drops the connection', { kind: 'drop' } as const],
  ])('takes the lead flagged in COMMENTS when the provider %s', async (_name, fault) => {
    captcha.fault(fault);
    const token = captcha.issueToken({ provider: 'turnstile', action: 'contact', hostname: 'www.example.com' });
    const response = await postJson(url('turnstile'), { ...JANE, message: 'Hi', 'cf-turnstile-response': token });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await delivered(id)).COMMENTS).toBe('Hi\n\ncaptcha unverified: provider unavailable');
  });
});

describe('Turnstile (failMode closed)', () => {
  it.each([
    ['times out', { kind: 'delay', ms: 5000 } as const],
    ['answers 5xx', { kind: 'status', status: 500 } as const],
    ['answers something that is not JSON', { kind: 'not-json' } as const],
  ])('answers 503 with Retry-After and queues nothing when the provider %s', async (_name, fault) => {
    captcha.fault(fault);
    const before = await queuedJobs();
    const response = await postJson(url('turnstileClosed'), { ...JANE, 'cf-turnstile-response': captcha.issueToken({ provider: 'turnstile' }) });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(((await response.json()) as { error: string }).error).toBe('captcha_unavailable');
    expect(await queuedJobs()).toBe(before);
  });
});

describe('reCAPTCHA', () => {
  it('v3: passes a score at or above minScore with the expected action', async () => {
    const token = captcha.issueToken({ provider: 'recaptcha', score: 0.5, action: 'submit' });
    expect((await postJson(url('recaptcha'), { ...JANE, 'g-recaptcha-response': token })).status).toBe(202);
  });

  it.each([
    ['a score below minScore', { score: 0.2, action: 'submit' }],
    ['no score (a v2 token)', { action: 'submit' }],
    ['another action', { score: 0.9, action: 'login' }],
  ])('v3: refuses %s', async (_name, facts) => {
    await expectCaptchaFailed(await postJson(url('recaptcha'), { ...JANE, 'g-recaptcha-response': captcha.issueToken({ provider: 'recaptcha', ...facts }) }));
  });

  it('v2: a urlencoded form post with the widget\'s field', async () => {
    const token = captcha.issueToken({ provider: 'recaptcha' });
    const response = await fetch(url('recaptchaV2'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ ...JANE, 'g-recaptcha-response': token }).toString(),
    });
    expect(response.status).toBe(202);
  });

  it('closed: a 5xx is a 503', async () => {
    captcha.fault({ kind: 'status', status: 502 });
    expect((await postJson(url('recaptcha'), { ...JANE, 'g-recaptcha-response': captcha.issueToken({ provider: 'recaptcha', score: 0.9, action: 'submit' }) })).status).toBe(503);
  });
});

describe('hCaptcha', () => {
  it('passes a token of the configured sitekey', async () => {
    const token = captcha.issueToken({ provider: 'hcaptcha', siteKey: 'site-a' });
    expect((await postJson(url('hcaptcha'), { ...JANE, 'h-captcha-response': token })).status).toBe(202);
    expect(captcha.calls[0]).toMatchObject({ sitekey: 'site-a' });
  });

  it('refuses a token of another sitekey and a replayed one', async () => {
    await expectCaptchaFailed(await postJson(url('hcaptcha'), { ...JANE, 'h-captcha-response': captcha.issueToken({ provider: 'hcaptcha', siteKey: 'site-b' }) }));
    const token = captcha.issueToken({ provider: 'hcaptcha', siteKey: 'site-a' });
    await postJson(url('hcaptcha'), { ...JANE, 'h-captcha-response': token });
    await expectCaptchaFailed(await postJson(url('hcaptcha'), { ...JANE, 'h-captcha-response': token }));
  });

  it('a secret the provider refuses is our setup, not the visitor: the lead is taken flagged (open)', async () => {
    const response = await postJson(url('wrongSecret'), { ...JANE, 'h-captcha-response': captcha.issueToken({ provider: 'hcaptcha' }) });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await delivered(id)).COMMENTS).toBe('captcha unverified: provider unavailable');
  });
});

describe('metrics', () => {
  it('counts refusals as spam by reason and outages by provider and failMode', async () => {
    await postJson(url('turnstile'), { ...JANE, 'cf-turnstile-response': 'made-up' });
    const text = await metrics();
    expect(text).toMatch(/leadgate_leads_spam_total\{source="form",reason="captcha_failed"\} [1-9]/);
    expect(text).toMatch(/leadgate_captcha_unavailable_total\{provider="turnstile",fail_mode="closed"\} [1-9]/);
  });
});
