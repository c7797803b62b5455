/**
 * The console's overview and destinations pages in a real browser (Debian's chromium), against a real
 * gateway and Redis delivering to the Bitrix24 simulator: the overview updates itself as leads come
 * in, and `leadgate check` runs from the destinations page.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(90_000);
/** `CONSOLE_SCREENSHOTS=1 npx jest test/browser/console-pages` renews the README's pictures in docs/. */
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

describeWithChromium('the console overview and destinations pages in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    stack = await startStack('console-pages', {
      overrides: { acceptAnyForm: false, forms: { contact: { destination: 'main', honeypot: 'website' } } } as never,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    // A script error or a CSP refusal would leave the page without its live part: each spec fails on either.
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('404')) browserErrors.push(message.text());
    });
  });
  afterEach(() => {
    expect(browserErrors).toEqual([]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(): Promise<void> {
    await page.goto(`${stack.api.url}/admin/`);
    await page.fill('input[name=token]', 'admin-secret');
    await page.click('button[type=submit]');
    await page.waitForURL('**/admin/overview');
  }

  const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();

  it('lands on the overview after sign-in, and the overview updates itself as a lead is posted and delivered', async () => {
    await signIn();
    expect(await text('[data-total="delivered"]')).toBe('0');
    // Set in this page: a reload would lose it, so it proves the figures change in place.
    await page.evaluate('window.stayed = true');

    for (const email of ['ann@example.com', 'ben@example.com']) expect((await postJson(`${stack.api.url}/v1/forms/contact`, { email })).status).toBe(202);
    expect((await postJson(`${stack.api.url}/v1/forms/contact`, { email: 'bot@example.com', website: 'x' })).status).toBe(202);
    await waitFor(() => stack.sim.leads().length === 2, 'two leads delivered');

    // Polled from here: the console's CSP (rightly) refuses the string eval of waitForFunction.
    await waitFor(async () => (await text('[data-total="delivered"]')) === '2', 'the overview to show two deliveries', 20_000, 250);
    expect(await page.evaluate('window.stayed')).toBe(true);
    expect(await text('[data-total="received"]')).toBe('3');
    expect(await text('[data-total="spam"]')).toBe('1');
    expect(await page.locator('[data-chart="delivered"] svg.chart rect[fill="#0072b2"]').count()).toBeGreaterThan(0);
    expect(await text('table[data-breakdown="source"] tr[data-name="form"] [data-count="queued"]')).toBe('2');
    const portal = page.locator('table[data-portals] tr[data-destination="main"]');
    expect(await portal.locator('[data-bucket]').textContent()).toMatch(/\/ 45/);
    expect(await portal.locator('[data-operating]').textContent()).toMatch(/\/ \d+ s/);
    expect(await portal.textContent()).toContain('delivering');
    await screenshot(page, 'console-overview.png');

    await page.click('nav.tabs a:has-text("Last week")');
    await page.waitForURL('**/admin/overview?range=week&by=source');
    expect(await text('[data-total="delivered"]')).toBe('2');
    await page.click('nav.tabs a:has-text("per destination")');
    expect(await text('table[data-breakdown="destination"] tr[data-name="main"] [data-count="delivered"]')).toBe('2');
  });

  it('runs leadgate check on demand from the destinations page and shows its report', async () => {
    await page.goto(`${stack.api.url}/admin/destinations`);
    expect(await page.locator('tr[data-destination="main"] [data-bucket]').textContent()).toMatch(/\/ 45/);
    expect(await text('[data-check]')).toContain('Not run from the console yet');
    await page.click('[data-check] button:has-text("Run check now")');
    await page.waitForURL(/\/admin\/destinations\?done=(checked|check-failed)/);
    expect(await page.getAttribute('[data-check-outcome]', 'data-check-outcome')).toBe('passed');
    const report = await text('[data-check] pre');
    expect(report).toContain('✓ redis');
    expect(report).toContain('✓ destination main: the portal answers crm.lead.fields');
    expect(await text('[data-check]')).toContain('run by admin');
    await screenshot(page, 'console-check.png');

    await page.goto(`${stack.api.url}/admin/audit`);
    expect(await text('tbody tr:first-child')).toContain('check');
  });
});
