/**
 * The snippet in a real browser (Debian's chromium) on a site of its own origin, posting to a real
 * gateway that delivers to the Bitrix24 simulator.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { startStack, type Stack } from '../helpers/stack';
import { sleep, waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';
import { startSite, type Site } from './site';

jest.setTimeout(90_000);
/** `SNIPPET_SCREENSHOTS=1 npx jest test/browser` renews the README's pictures in docs/; other runs only take them. */
const screenshot = (page: Page, name: string) =>
  page.screenshot({ caret: 'hide', ...(process.env.SNIPPET_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

describeWithChromium('the browser snippet on a website', () => {
  let stack: Stack;
  let site: Site;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    site = await startSite(() => stack.api.url);
    stack = await startStack('snippet-browser', {
      overrides: {
        forms: {
          contact: { destination: 'main', allowedOrigins: [site.origin], honeypot: 'website' },
          'with-redirect': { destination: 'main', allowedOrigins: [site.origin], redirect: { success: `${site.origin}/thanks` } },
        },
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await site?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 640, height: 760 } });
  });
  afterEach(async () => {
    await context.close();
  });

  /** A page of the site, once the snippet has taken over its form. */
  async function visit(page: Page, path: string): Promise<void> {
    await page.goto(site.origin + path);
    await page.waitForSelector('form[data-leadgate-ready]');
  }

  async function fill(page: Page, fields: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(fields)) await page.fill(`[name=${name}]`, value);
  }

  const leadsOf = (email: string) => stack.sim.leads().filter((lead) => JSON.stringify(lead.fields.EMAIL ?? '').includes(email));

  it('gives the lead the last campaign in UTM_* and the first touch in the tracking block', async () => {
    const page = await context.newPage();
    await visit(page, '/a?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=Cj0KCQ-first');
    await visit(page, '/b');
    await visit(page, '/offer?utm_source=newsletter&utm_medium=email&utm_campaign=winter');
    await visit(page, '/c');
    await fill(page, { name: 'Jane Roe', email: 'jane.roe@example.com', message: 'Please call me about the winter offer.' });
    await screenshot(page, 'snippet-form.png');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-leadgate-status="ok"]');

    const lead = await waitFor(() => leadsOf('jane.roe@example.com')[0], 'the lead in Bitrix24');
    expect(lead.fields).toMatchObject({ UTM_SOURCE: 'newsletter', UTM_MEDIUM: 'email', UTM_CAMPAIGN: 'winter', NAME: 'Jane', LAST_NAME: 'Roe' });
    const block = String(lead.fields.COMMENTS);
    expect(block).toContain(`page: ${site.origin}/c`);
    expect(block).toContain(`last touch (UTM fields): `);
    expect(block).toContain(`landing ${site.origin}/offer?utm_source=newsletter&utm_medium=email&utm_campaign=winter`);
    expect(block).toContain(`first touch: `);
    expect(block).toContain(`landing ${site.origin}/a?utm_source=google`);
    expect(block).toContain('first touch campaign: utm_source=google, utm_medium=cpc, utm_campaign=spring, gclid=Cj0KCQ-first');
    expect(block).toMatch(/first touch to submission: \d+ s/);
    expect(block).not.toContain('lg_');
  });

  it('makes one lead of a double click, and of a retry after a lost answer', async () => {
    const page = await context.newPage();
    await visit(page, '/c?utm_source=google');
    await fill(page, { name: 'Double Click', email: 'double.click@example.com' });
    await page.dblclick('button[type=submit]');
    await page.waitForSelector('[data-leadgate-status="ok"]');

    // The gateway takes the second form's lead, but the browser never hears the 202: the snippet sends it again.
    let lost = 0;
    await page.route(`${stack.api.url}/v1/forms/contact`, async (route) => {
      if (route.request().method() === 'POST' && lost++ === 0) {
        await route.fetch();
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    await fill(page, { name: 'Lost Answer', email: 'lost.answer@example.com' });
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-leadgate-status="ok"]');
    expect(lost).toBe(2);

    await waitFor(() => leadsOf('double.click@example.com').length > 0 && leadsOf('lost.answer@example.com').length > 0, 'both leads in Bitrix24');
    await sleep(1500);
    expect(leadsOf('double.click@example.com')).toHaveLength(1);
    expect(leadsOf('lost.answer@example.com')).toHaveLength(1);
  });

  it('shows a refused field next to its input', async () => {
    const page = await context.newPage();
    await visit(page, '/c');
    await fill(page, { name: 'Call Me', phone: 'call me maybe' });
    await page.click('button[type=submit]');
    const error = await page.waitForSelector('input[name=phone] + .lg-error');
    expect(await error.textContent()).toMatch(/phone/i);
    const phone = page.locator('input[name=phone]');
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    expect(await phone.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
    expect(await page.evaluate('document.activeElement && document.activeElement.name')).toBe('phone');
    expect(await page.locator('[data-leadgate-status]').getAttribute('data-leadgate-status')).toBe('error');
    await screenshot(page, 'snippet-error.png');

    // Corrected, the same filled form is accepted and the error goes away.
    await fill(page, { phone: '+49 30 1234567' });
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-leadgate-status="ok"]');
    expect(await page.locator('.lg-error').count()).toBe(0);
    await waitFor(() => stack.sim.leads().find((lead) => JSON.stringify(lead.fields.PHONE ?? '').includes('+49301234567')), 'the corrected lead');
  });

  it("sends the visitor to the form's redirect.success once the lead is taken", async () => {
    const page = await context.newPage();
    await visit(page, '/redirect/c');
    await fill(page, { name: 'Redirect Me', email: 'redirect.me@example.com' });
    await Promise.all([page.waitForURL(`${site.origin}/thanks`), page.click('button[type=submit]')]);
    await waitFor(() => leadsOf('redirect.me@example.com')[0], 'the lead in Bitrix24');
  });

  it('leaves a plain form post working without JavaScript (303 to the thanks page)', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await noScript.newPage();
      await page.goto(`${site.origin}/c?utm_source=print`);
      await fill(page, { name: 'No Script', email: 'no.script@example.com' });
      await Promise.all([page.waitForURL(`${stack.api.url}/v1/forms/contact/thanks`), page.click('button[type=submit]')]);
      expect(await page.textContent('h1')).toBe('Thank you!');
      const lead = await waitFor(() => leadsOf('no.script@example.com')[0], 'the lead in Bitrix24');
      expect(lead.fields.NAME).toBe('No');
    } finally {
      await noScript.close();
    }
  });

  it('stores nothing before consent when the site requires it, and the touches once given', async () => {
    const page = await context.newPage();
    await visit(page, '/consent/a?utm_source=google&gclid=Cj0-consent');
    await visit(page, '/consent/b');
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('document.cookie')).toBe('');

    await page.evaluate('leadgate.consent(true)');
    const stored = JSON.parse(String(await page.evaluate('localStorage.getItem("leadgate_touches")')));
    // Only this page view was known: the campaign landing before consent was never kept.
    expect(stored.f.landing).toBe(`${site.origin}/consent/b`);
    await page.evaluate('leadgate.consent(false)');
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });
});
