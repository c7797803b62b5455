/**
 * The console's sources page in a real browser, signed in as a named operator: copy-paste forms and
 * snippet, webhook tokens shown only on request, and partner keys created (shown once) and revoked,
 * each checked against the real partner API; the audit log names the operator.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { hashPartnerKey } from '../../src/sources/partner/partner-auth';
import { hashOperatorToken } from '../../src/shared/operator-tokens';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(90_000);
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

const ALICE_TOKEN = 'alice-console-token-0123456789';
const CONFIG_KEY = 'lgp_config-key-of-acme-0123456789';
const VERIFY_TOKEN = 'meta-verify-token-42';
const GOOGLE_KEY = 'google-key-secret-77';
const LINKEDIN_SECRET = 'linkedin-client-secret-88';
const TIKTOK_SECRET = 'tiktok-app-secret-99';
const TILDA_TOKEN = 'tilda-shared-token-1234';
const TYPEFORM_SECRET = 'typeform-signing-secret-5678';
const SECRETS = [VERIFY_TOKEN, GOOGLE_KEY, LINKEDIN_SECRET, TIKTOK_SECRET, TILDA_TOKEN, TYPEFORM_SECRET];

describeWithChromium('the console sources page in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    stack = await startStack('console-sources', {
      // The API alone: partner leads are only queued here, and no Meta worker reaches for the Graph API.
      role: 'api',
      overrides: {
        acceptAnyForm: false,
        http: { publicUrl: 'https://leads.example.com' },
        admin: { operators: [{ name: 'alice', tokenHash: hashOperatorToken(ALICE_TOKEN) }] },
        forms: { contact: { destination: 'main', honeypot: 'website', allowedOrigins: ['https://www.example.com'] } },
        sources: {
          meta: { appSecret: 'meta-app-secret', verifyToken: VERIFY_TOKEN, pages: { '1001': { accessToken: 'page-token' } } },
          google: { keys: [GOOGLE_KEY] },
          partners: { acme: { keyHashes: [hashPartnerKey(CONFIG_KEY)], destination: 'main' } },
          linkedin: { clientId: '86abcdefghijkl', clientSecret: LINKEDIN_SECRET, accessToken: 'AQV-token' },
          tiktok: { secret: TIKTOK_SECRET },
          webhooks: { landing: { preset: 'tilda', token: TILDA_TOKEN }, survey: { preset: 'typeform', secret: TYPEFORM_SECRET } },
        },
      } as never,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => browserErrors.push(error.message));
  });
  afterEach(() => {
    expect(browserErrors).toEqual([]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  const partnerLead = (key: string) =>
    postJson(`${stack.api.url}/v1/partners/leads`, { contact: { email: 'partner.lead@example.com' } }, { authorization: `Bearer ${key}` });
  const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();

  it('signs a named operator in with their own token', async () => {
    await page.goto(`${stack.api.url}/admin/login`);
    await page.fill('input[name=token]', ALICE_TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL('**/admin/overview');
    // The header says who is signed in, on every page.
    expect(await text('header [data-operator]')).toBe('Signed in as alice');
  });

  it('gives each form its snippet and HTML form, and shows the webhook tokens only when asked', async () => {
    await page.goto(`${stack.api.url}/admin/sources`);
    const form = await page.inputValue('[data-form="contact"] textarea[data-copy="form"]');
    expect(form).toContain('<form data-leadgate="contact" action="https://leads.example.com/v1/forms/contact" method="post">');
    expect(form).toContain('name="website" tabindex="-1"');
    expect(await page.inputValue('[data-form="contact"] textarea[data-copy="snippet"]')).toContain('<script src="https://leads.example.com/v1/snippet.js"');
    expect(await text('[data-platform="meta"]')).toContain('https://leads.example.com/v1/webhooks/meta');
    expect(await text('[data-platform="google"]')).toContain('https://leads.example.com/v1/webhooks/google');
    expect(await text('[data-platform="linkedin"]')).toContain('https://leads.example.com/v1/webhooks/linkedin');
    expect(await text('[data-platform="tiktok"]')).toContain('https://leads.example.com/v1/webhooks/tiktok');
    expect(await text('[data-webhook="landing"]')).toContain('https://leads.example.com/v1/webhooks/custom/landing');
    expect(await text('[data-webhook="landing"] h2')).toContain('(tilda)');
    expect(await text('[data-webhook="survey"]')).toContain('HMAC-SHA256 of the raw body, base64, in Typeform-Signature after sha256=');
    expect(await text('header [data-operator]')).toBe('Signed in as alice');
    for (const secret of SECRETS) expect(await page.content()).not.toContain(secret);

    await page.click('button:has-text("Show tokens")');
    expect(await text('[data-secret="meta-verify-token"]')).toBe(VERIFY_TOKEN);
    expect(await text('[data-secret="google-key-0"]')).toBe(GOOGLE_KEY);
    expect(await text('[data-secret="linkedin-client-secret"]')).toBe(LINKEDIN_SECRET);
    expect(await text('[data-secret="tiktok-secret"]')).toBe(TIKTOK_SECRET);
    expect(await text('[data-secret="webhook-landing"]')).toBe(TILDA_TOKEN);
    expect(await text('[data-secret="webhook-survey"]')).toBe(TYPEFORM_SECRET);
    // The tokens are in the answer to a POST, never in a URL or a page that can be reloaded.
    await page.goto(`${stack.api.url}/admin/sources`);
    for (const secret of SECRETS) expect(await page.content()).not.toContain(secret);
  });

  it('creates a partner key shown once that works against the partner API, and revokes it and a config key', async () => {
    expect((await partnerLead(CONFIG_KEY)).status).toBe(202);
    await page.goto(`${stack.api.url}/admin/sources`);
    expect(await page.locator('[data-partner="acme"] tbody tr').count()).toBe(1);

    await page.click('[data-partner="acme"] button:has-text("Create key")');
    const key = await text('[data-new-key] [data-key]');
    expect(key).toMatch(/^lgp_/);
    const fingerprint = `sha256:${hashPartnerKey(key).slice(0, 12)}`;
    expect(await text('[data-new-key]')).toContain(fingerprint);
    expect(await page.locator(`[data-partner="acme"] tr[data-key-fingerprint="${fingerprint}"]`).textContent()).toContain('console');
    await screenshot(page, 'console-sources.png');
    expect((await partnerLead(key)).status).toBe(202);

    await page.goto(`${stack.api.url}/admin/sources`);
    expect(await page.content()).not.toContain(key);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.click(`tr[data-key-fingerprint="${fingerprint}"] button:has-text("Revoke")`);
    await page.waitForURL('**/admin/sources?done=revoked');
    expect(await page.locator(`tr[data-key-fingerprint="${fingerprint}"]`).count()).toBe(0);
    const refused = await partnerLead(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized' });

    const configFingerprint = `sha256:${hashPartnerKey(CONFIG_KEY).slice(0, 12)}`;
    await page.click(`tr[data-key-fingerprint="${configFingerprint}"] button:has-text("Revoke")`);
    await page.waitForURL('**/admin/sources?done=revoked');
    expect(await text(`tr[data-key-fingerprint="${configFingerprint}"]`)).toContain('revoked');
    expect((await partnerLead(CONFIG_KEY)).status).toBe(401);
  });

  it('names the operator in the audit log for every action', async () => {
    await page.goto(`${stack.api.url}/admin/audit`);
    const rows = await page.locator('tbody tr').allTextContents();
    for (const action of ['sign-in', 'reveal-tokens', 'partner-key-created', 'partner-key-revoked']) {
      expect(rows.find((row) => row.includes(action))).toContain('alice');
    }
  });
});
