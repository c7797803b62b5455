/**
 * The console's lead search in a real browser (Debian's chromium) against a real gateway, Redis and
 * the Bitrix24 simulator: a lead found by its email and by a partner's external_ref, and 600 seeded
 * leads filtered by status, source and received dates and paged through to the last one.
 */
import IORedis from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { generatePartnerKey } from '../../src/sources/partner/partner-auth';
import { SHARED_REDIS_URL } from '../helpers/redis';
import { seedLeads, type SeededLead } from '../helpers/seed-leads';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(90_000);
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;
const partner = generatePartnerKey();
const DAY = 86_400_000;

describeWithChromium('searching leads in the console', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let seeded: SeededLead[];
  const redis = new IORedis(SHARED_REDIS_URL);
  const now = Date.now();

  beforeAll(async () => {
    stack = await startStack('console-search', { overrides: { sources: { partners: { acme: { keyHashes: [partner.hash] } } } } });
    seeded = await seedLeads(redis, stack.prefix, 600, { now: now - DAY, spanDays: 10, seed: 9 });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${stack.api.url}/admin/login`);
    await page.fill('input[name=token]', 'admin-secret');
    await page.click('button[type=submit]');
    await page.waitForSelector('form[action="/admin/logout"]');
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    redis.disconnect();
  });

  const status = async (id: string) => (await redis.hget(`${stack.prefix}:lead:${id}`, 'status')) ?? undefined;

  async function search(q: string): Promise<void> {
    await page.goto(`${stack.api.url}/admin/leads`);
    await page.fill('input[name=q]', q);
    await page.click('form[role=search] button[type=submit]');
    await page.waitForLoadState();
  }

  it('finds a lead by its email, lists it masked, and shows it in full on its page', async () => {
    const response = await postJson(`${stack.api.url}/v1/forms/contact`, { name: 'Erika Search', email: 'erika.search@example.com', phone: '+49 30 5550101' });
    const { id } = (await response.json()) as { id: string };
    await waitFor(async () => (await status(id)) === 'delivered', 'the lead delivered');

    await search('Erika.Search@example.com');
    const row = page.locator(`tr[data-lead-id="${id}"]`);
    expect(await row.textContent()).toContain('e***@example.com');
    expect(await page.textContent('main')).not.toContain('erika.search@example.com');
    await row.locator('a').click();
    await page.waitForSelector('dd[data-status="delivered"]');
    expect(await page.textContent('main')).toContain('erika.search@example.com');
  });

  it('finds a partner lead by its external_ref', async () => {
    const response = await postJson(`${stack.api.url}/v1/partners/leads`, { external_ref: 'CRM-4711', contact: { full_name: 'Ref Partner', email: 'ref.partner@example.com' } }, { authorization: `Bearer ${partner.key}` });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    await waitFor(async () => (await status(id)) === 'delivered', 'the partner lead delivered');

    await search('CRM-4711');
    const row = page.locator(`tr[data-lead-id="${id}"]`);
    expect(await row.textContent()).toContain('partner:acme');
    expect(await row.textContent()).toContain('CRM-4711');
    expect(await row.textContent()).toContain('r***@example.com');
    await screenshot(page, 'console-leads-reference.png');

    // Taken in through the intake's one pipeline, it is in the search index too: the newest delivered partner lead.
    await page.goto(`${stack.api.url}/admin/leads?kind=partner&status=delivered`);
    expect(await page.locator('tr[data-lead-id]').first().getAttribute('data-lead-id')).toBe(id);

    await search('CRM-0000');
    expect(await page.textContent('.notice.error')).toContain('No lead matches');
  });

  it('filters by status, source and received dates, and pages through every match to the last', async () => {
    const from = new Date(now - 8 * DAY).toISOString().slice(0, 10);
    const to = new Date(now - 3 * DAY).toISOString().slice(0, 10);
    const want = seeded
      .filter((l) => l.status === 'delivered' && l.source === 'form:contact' && l.receivedMs >= Date.parse(`${from}T00:00:00Z`) && l.receivedMs < Date.parse(`${to}T00:00:00Z`) + DAY)
      .sort((a, b) => b.receivedMs - a.receivedMs || (a.id < b.id ? 1 : -1))
      .map((l) => l.id);
    expect(want.length).toBeGreaterThan(50);

    await page.goto(`${stack.api.url}/admin/leads`);
    await page.selectOption('select[name=status]', 'delivered');
    await page.selectOption('select[name=source]', 'form:contact');
    await page.fill('input[name=from]', from);
    await page.fill('input[name=to]', to);
    await page.click('form[role=search] button[type=submit]');
    await page.waitForURL((url) => url.searchParams.get('status') === 'delivered');
    await screenshot(page, 'console-leads-search.png');

    const listed: string[] = [];
    for (let pages = 1; ; pages += 1) {
      const ids = await page.locator('tr[data-lead-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lead-id')!));
      expect(ids.length).toBeLessThanOrEqual(50);
      listed.push(...ids);
      // The form keeps what was asked on every page.
      expect(await page.inputValue('input[name=from]')).toBe(from);
      const older = page.locator('a[rel=next]');
      if ((await older.count()) === 0) break;
      const before = page.url();
      await older.click();
      await page.waitForURL((url) => url.toString() !== before);
      expect(pages).toBeLessThan(10);
    }
    expect(listed).toEqual(want);
  });
});
