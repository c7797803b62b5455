/**
 * The operator console (/admin/) in a real browser (Debian's chromium), against a real gateway and
 * Redis delivering to the Bitrix24 simulator: sign in, find a lead, replay a dead letter, resume a
 * paused destination, and read what was done in the audit log.
 */
import IORedis from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { join } from 'node:path';
import { SHARED_REDIS_URL } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(90_000);
/** `CONSOLE_SCREENSHOTS=1 npx jest test/browser/console` renews the README's pictures in docs/; other runs only take them. */
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

const JANE = { name: 'Jane Console', email: 'jane.console@example.com', phone: '+49 30 7654321' };

describeWithChromium('the operator console in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const redis = new IORedis(SHARED_REDIS_URL);

  beforeAll(async () => {
    stack = await startStack('console-browser');
    browser = await launchChromium();
    // One signed-in operator for the whole story, as a person would work through it.
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await stack?.stop();
    redis.disconnect();
  });

  async function lead(body: Record<string, string>): Promise<string> {
    const response = await postJson(`${stack.api.url}/v1/forms/contact`, body);
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  const status = async (id: string) => (await redis.hget(`${stack.prefix}:lead:${id}`, 'status')) ?? undefined;

  async function find(query: string): Promise<void> {
    await page.goto(`${stack.api.url}/admin/leads`);
    await page.fill('input[name=q]', query);
    await page.click('form[role=search] button');
    await page.waitForLoadState();
  }

  /** The lead page refreshes itself while the lead is on its way; wait for the status it should reach. */
  async function waitForStatus(expected: string): Promise<void> {
    await page.waitForSelector(`dd[data-status="${expected}"]`, { timeout: 20_000 });
  }

  it('asks for the admin token, refuses a wrong one, and signs in with the right one', async () => {
    await page.goto(`${stack.api.url}/admin/`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    expect(await page.textContent('.notice.error')).toContain('not this gateway');
    await screenshot(page, 'console-login.png');

    await page.fill('input[name=token]', 'admin-secret');
    await page.click('button[type=submit]');
    await page.waitForURL('**/admin/overview');
    expect(new URL(page.url()).pathname).toBe('/admin/overview');
    const cookie = (await context.cookies()).find((c) => c.name === 'lg_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
  });

  it('finds a lead by id and by email, and shows it in full with its attempts and a link into the portal', async () => {
    const id = await lead(JANE);
    await waitFor(async () => (await status(id)) === 'delivered', 'the lead delivered');

    await find(id);
    await waitForStatus('delivered');
    expect(new URL(page.url()).pathname).toBe(`/admin/leads/${id}`);
    const bitrixId = stack.sim.leads().find((l) => l.fields.ORIGIN_ID === id)!.ID;
    const link = await page.getAttribute('a[href*="/crm/lead/details/"]', 'href');
    expect(link).toBe(`https://${new URL(stack.sim.webhookUrl).host}/crm/lead/details/${bitrixId}/`);
    expect(await page.textContent('main')).toContain('delivered');

    // Case and spacing do not matter: contacts are found by the hash of their normal form.
    await find('JANE.Console@example.com');
    const listed = await page.textContent('main');
    expect(listed).toContain(id);
    expect(listed).toContain('j***@example.com');
    expect(listed).not.toContain('jane.console@example.com');
    await screenshot(page, 'console-leads.png');

    // A phone is found in any notation that normalises to the same number.
    await find('+49 (30) 765-4321');
    expect(await page.textContent('main')).toContain(id);

    await page.click(`a[href="/admin/leads/${id}"]`);
    await waitForStatus('delivered');
    await page.waitForSelector('text=+4930');
  });

  it('lists dead letters with personal data masked, and replays one until it is delivered', async () => {
    // A code-less 400 is about the lead's data: dead-lettered at once.
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field STATUS_ID', method: 'crm.lead.add' });
    const id = await lead({ name: 'Dana Letter', email: 'dead.letter@example.com', phone: '+49 30 1112233', utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'winter', gclid: 'Cj0KCQ-console' });
    await waitFor(async () => (await status(id)) === 'dead', 'the lead dead-lettered');

    await page.goto(`${stack.api.url}/admin/dead-letters?destination=main`);
    const row = page.locator(`tr[data-lead-id="${id}"]`);
    expect(await row.textContent()).toContain('d***@example.com');
    expect(await page.textContent('main')).not.toContain('dead.letter@example.com');
    await screenshot(page, 'console-dead-letters.png');

    await row.locator('button', { hasText: 'Replay' }).click();
    await page.waitForURL(`**/admin/leads/${id}?done=replayed`);
    await waitForStatus('delivered');
    expect(stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id)).toHaveLength(1);
    expect(await page.textContent('main')).toContain('Invalid value for field STATUS_ID');
    expect(await page.textContent('main')).toContain('utm_campaign=winter');
    await screenshot(page, 'console-lead.png');
  });

  it('purges a dead letter after asking', async () => {
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'bad value', method: 'crm.lead.add' });
    const id = await lead({ email: 'purge.me@example.com' });
    await waitFor(async () => (await status(id)) === 'dead', 'the lead dead-lettered');
    // A bare 400 carries no Bitrix24 error code: the filter lists it as "(no code)".
    const code = '(no code)';
    await page.goto(`${stack.api.url}/admin/dead-letters?code=OTHER_CODE`);
    expect(await page.locator(`tr[data-lead-id="${id}"]`).count()).toBe(0);
    await page.goto(`${stack.api.url}/admin/dead-letters`);
    await page.selectOption('select[name=code]', code);
    await page.click('form.bar button');
    await page.waitForURL((url) => url.searchParams.get('code') === code);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`tr[data-lead-id="${id}"] button`, { hasText: 'Purge' }).click();
    await page.waitForURL('**/admin/dead-letters?done=purged');
    expect(await page.locator(`tr[data-lead-id="${id}"]`).count()).toBe(0);
    expect(await redis.exists(`${stack.prefix}:dlq:${id}`)).toBe(0);
  });

  it('shows a paused destination with its reason, and resumes it so its kept lead is delivered', async () => {
    // The portal refuses the webhook once: the destination pauses and the lead waits in its queue.
    stack.sim.injectFault({ kind: 'error', count: 1, status: 401, error: 'INVALID_CREDENTIALS', description: 'Invalid request credentials' });
    const id = await lead({ email: 'waiting@example.com' });
    await waitFor(async () => (await redis.exists(`${stack.prefix}:breaker:main`)) === 1, 'destination paused');

    await page.goto(`${stack.api.url}/admin/destinations`);
    const row = page.locator('tr[data-destination="main"]');
    expect(await row.textContent()).toContain('paused');
    expect(await row.textContent()).toContain('INVALID_CREDENTIALS');
    await screenshot(page, 'console-destinations.png');

    await row.locator('button', { hasText: 'Resume' }).click();
    await page.waitForURL('**/admin/destinations?done=resumed');
    expect(await page.locator('tr[data-destination="main"]').textContent()).toContain('delivering');
    await waitFor(async () => (await status(id)) === 'delivered', 'the kept lead delivered after the resume', 15_000);
  });

  it('keeps an audit log of every sign-in and action', async () => {
    await page.goto(`${stack.api.url}/admin/audit`);
    const text = (await page.textContent('tbody')) ?? '';
    for (const action of ['sign-in', 'replay', 'purge', 'resume']) expect(text).toContain(action);
    expect(text).toContain('refused');
    await screenshot(page, 'console-audit.png');
  });
});
