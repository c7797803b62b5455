/**
 * A lead's conversions on its console page, in a real browser (Debian's chromium), against a real
 * gateway and Redis, the Bitrix24 simulator moving the lead through its stages and the Google Ads
 * simulator taking (or refusing) the uploads: the page shows each event's state and reason, and a
 * dead one is replayed from it until Google has it, once.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { startGoogleAdsSimulator, type GoogleAdsSimulator } from '@leadgate/simulators';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(90_000);
/** `CONSOLE_SCREENSHOTS=1 npx jest test/browser/console-conversions` renews the README's picture in docs/. */
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

const APP_TOKEN = 'b24-application-token-console';
const CUSTOMER = '1234567890';
const QUALIFIED = '987654321';
const SALE = '987654322';

describeWithChromium('a lead\'s conversions on its console page, in a browser', () => {
  let google: GoogleAdsSimulator;
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    google = await startGoogleAdsSimulator({ customerId: CUSTOMER, conversionActionIds: [QUALIFIED, SALE] });
    stack = await startStack('console-conversions', {
      overrides: {
        acceptAnyForm: false,
        forms: { offer: { destination: 'main', set: { OPPORTUNITY: 1200, CURRENCY_ID: 'EUR' } } },
        conversions: {
          destinations: { main: { applicationToken: APP_TOKEN, sweepIntervalSeconds: 0 } },
          leadStatuses: { IN_PROCESS: { google: 'Qualified lead' } },
          dealStages: { WON: { google: 'Sale', value: true } },
          google: {
            customerId: CUSTOMER,
            serviceAccount: { ...google.serviceAccount, tokenUrl: google.tokenUrl },
            ingestUrl: google.ingestUrl,
            conversionActions: { 'Qualified lead': QUALIFIED, Sale: SALE },
            lingerMs: 30,
          },
        },
      } as never,
    });
    stack.sim.subscribeEvents({ url: `${stack.api.url}/v1/webhooks/bitrix24/main`, applicationToken: APP_TOKEN });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
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
    await google?.close();
  });

  const row = (event: string) => page.locator(`[data-conversions] tr[data-conversion="google:${event}"]`);
  const ingested = (clickId: string, action: string) => google.ingested().filter((e) => e.productDestinationId === action && (e.event.adIdentifiers as { gclid?: string }).gclid === clickId);

  it('shows a sent and a dead conversion with Google\'s reason, and replays the dead one from the page', async () => {
    const gclid = 'Cj0KCQ-console-conversions';
    const touch = JSON.stringify({ landing: `https://shop.example/?gclid=${gclid}`, gclid, age: 86_400 });
    const res = await fetch(`${stack.api.url}/v1/forms/offer`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ name: 'Anna Schmidt', email: 'anna.conversions@example.com', lg_first_touch: touch, lg_last_touch: touch }).toString(),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const b24 = await waitFor(() => stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id), 'the lead in Bitrix24');

    stack.sim.moveStage('lead', b24.ID, 'IN_PROCESS');
    await waitFor(() => ingested(gclid, QUALIFIED).length === 1, 'the Qualified lead conversion at Google');
    // Google refuses the next upload for the service account: the Sale is dead-lettered with Google's reason.
    google.failNext({ status: 403, error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' } });
    stack.sim.moveStage('lead', b24.ID, 'CONVERTED');
    const deal = await waitFor(() => stack.sim.crmRecords('deal').find((d) => d.LEAD_ID === String(b24.ID)), 'the deal');
    stack.sim.moveStage('deal', Number(deal.ID), 'WON');

    await page.goto(`${stack.api.url}/admin/`);
    await page.fill('input[name=token]', 'admin-secret');
    await page.click('button[type=submit]');
    await page.waitForURL('**/admin/overview');
    await page.goto(`${stack.api.url}/admin/leads/${id}`);
    // The page refreshes itself while a conversion is on its way: wait for the Sale to settle.
    await waitFor(async () => (await row('Sale').getAttribute('data-state', { timeout: 1000 }).catch(() => null)) === 'dead', 'the dead Sale on the page', 20_000, 250);

    expect(await row('Qualified lead').getAttribute('data-state')).toBe('sent');
    expect(await row('Qualified lead').textContent()).toContain('IN_PROCESS');
    expect(await row('Qualified lead').textContent()).toContain('Google Ads');
    const sale = (await row('Sale').textContent()) ?? '';
    expect(sale).toContain(`deal #${deal.ID} · WON`);
    expect(sale).toContain('GOOGLE_PERMISSION_DENIED');
    expect(sale).toContain('The caller does not have permission');
    expect(await row('Qualified lead').locator('button').count()).toBe(0);
    expect(ingested(gclid, SALE)).toHaveLength(0);
    await screenshot(page, 'console-lead-conversions.png');

    await row('Sale').locator('button', { hasText: 'Replay' }).click();
    await page.waitForURL(`**/admin/leads/${id}?done=conversion-replayed`);
    expect(await page.textContent('.notice')).toContain('the conversion is queued again');
    await waitFor(() => ingested(gclid, SALE).length === 1, 'the replayed Sale at Google');
    await waitFor(async () => (await row('Sale').getAttribute('data-state', { timeout: 1000 }).catch(() => null)) === 'sent', 'the Sale sent on the page', 20_000, 250);
    expect(await row('Sale').locator('[data-reason]').count()).toBe(0);
    // Once each at Google, whatever the refusals and the replay.
    expect(ingested(gclid, QUALIFIED)).toHaveLength(1);
    expect(ingested(gclid, SALE)).toHaveLength(1);

    await page.goto(`${stack.api.url}/admin/audit`);
    expect(await page.textContent('main')).toMatch(/conversion-replay\s*cv-google-[0-9a-f]{32}\s*ok/);
  });

  it('refuses a replay without the session\'s CSRF token, and answers 404 for a conversion that is not dead', async () => {
    const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const post = (id: string, body: string) =>
      fetch(`${stack.api.url}/admin/conversions/${id}/replay`, { method: 'POST', redirect: 'manual', headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect((await post('cv-google-0123', 'csrf=forged')).status).toBe(403);
    await page.goto(`${stack.api.url}/admin/overview`);
    const csrf = await page.locator('header input[name=csrf]').getAttribute('value');
    expect((await post('cv-google-0123', `csrf=${csrf}`)).status).toBe(404);
  });
});
