/**
 * Bulk actions on dead letters in a real browser (Debian's chromium) against a real gateway, Redis and
 * the Bitrix24 simulator: everything a filter matches replayed with a progress page until each lead
 * is delivered once, a checkbox selection purged, and both in the audit log.
 */
import IORedis from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { join } from 'node:path';
import { SHARED_REDIS_URL } from '../helpers/redis';
import { postJson, startStack, type Stack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { chromiumMissing, launchChromium } from './chromium';

jest.setTimeout(120_000);
const screenshot = (page: Page, name: string) =>
  page.screenshot({ fullPage: true, caret: 'hide', ...(process.env.CONSOLE_SCREENSHOTS ? { path: join(__dirname, '../../docs', name) } : {}) });
const describeWithChromium = chromiumMissing() ? describe.skip : describe;

describeWithChromium('dead letters in bulk, in the console', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const redis = new IORedis(SHARED_REDIS_URL);
  const status = async (id: string) => (await redis.hget(`${stack.prefix}:lead:${id}`, 'status')) ?? undefined;
  const contactIds: string[] = [];
  const quoteIds: string[] = [];

  /** A lead the portal refuses with a code-less 400 (about its data): dead-lettered at once. */
  async function deadLead(form: string, n: number): Promise<string> {
    stack.sim.injectFault({ kind: 'error', count: 1, status: 400, error: '', description: 'Invalid value for field STATUS_ID', method: 'crm.lead.add' });
    const response = await postJson(`${stack.api.url}/v1/forms/${form}`, { name: `Bulk ${form} ${n}`, email: `bulk.${form}.${n}@example.com` });
    const { id } = (await response.json()) as { id: string };
    await waitFor(async () => (await status(id)) === 'dead', `lead ${n} of ${form} dead-lettered`);
    return id;
  }

  beforeAll(async () => {
    stack = await startStack('console-dead-letters');
    for (let n = 0; n < 4; n += 1) contactIds.push(await deadLead('contact', n));
    for (let n = 0; n < 2; n += 1) quoteIds.push(await deadLead('quote', n));
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

  it('replays everything a filter matches, shows its progress, and every lead is delivered once', async () => {
    await page.goto(`${stack.api.url}/admin/dead-letters`);
    await page.selectOption('select[name=source]', 'form:contact');
    await page.selectOption('select[name=code]', '(no code)');
    await page.click('form[role=search] button[type=submit]');
    await page.waitForURL((url) => url.searchParams.get('source') === 'form:contact');
    const listed = await page.locator('tr[data-lead-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lead-id')));
    expect(listed.sort()).toEqual([...contactIds].sort());
    await screenshot(page, 'console-dead-letters-filter.png');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('button[name=action][value=replay]:has-text("Replay all matching")');
    await page.waitForURL('**/admin/bulk/*');
    // The page polls the job's progress until it is done, without a reload.
    await page.waitForSelector('[data-bulk-job][data-status="done"]', { timeout: 30_000 });
    expect(await page.textContent('[data-field=done]')).toBe('4');
    expect(await page.textContent('[data-field=failed]')).toBe('0');
    expect(await page.isVisible('[data-when-done]')).toBe(true);
    await screenshot(page, 'console-bulk-progress.png');
    // The JSON the page polls.
    const progress = await page.evaluate((url) => fetch(url).then((r) => r.json()), `${page.url()}/progress`);
    expect(progress).toMatchObject({ action: 'replay', status: 'done', total: 4, done: 4, skipped: 0, failed: 0 });

    for (const id of contactIds) await waitFor(async () => (await status(id)) === 'delivered', `lead ${id} delivered`, 20_000);
    for (const id of contactIds) expect(stack.sim.leads().filter((l) => l.fields.ORIGIN_ID === id)).toHaveLength(1);
    // What the filter did not match is still dead-lettered.
    for (const id of quoteIds) expect(await status(id)).toBe('dead');
  });

  it('purges a selection made with checkboxes, after asking', async () => {
    await page.goto(`${stack.api.url}/admin/dead-letters`);
    expect(await page.locator('tr[data-lead-id]').count()).toBe(2);
    await page.check(`input[name=id][value="${quoteIds[0]}"]`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('button[name=action][value=purge]:has-text("Purge selected")');
    await page.waitForSelector('[data-bulk-job][data-status="done"]', { timeout: 30_000 });
    expect(await page.textContent('[data-field=done]')).toBe('1');

    await page.goto(`${stack.api.url}/admin/dead-letters`);
    const left = await page.locator('tr[data-lead-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lead-id')));
    expect(left).toEqual([quoteIds[1]]);
    expect(await redis.exists(`${stack.prefix}:dlq:${quoteIds[0]}`)).toBe(0);

    // "Select all" ticks every row of the page.
    await page.check('input[data-select-all]');
    expect(await page.isChecked(`input[name=id][value="${quoteIds[1]}"]`)).toBe(true);
  });

  it('records each bulk action and its outcome in the audit log', async () => {
    await page.goto(`${stack.api.url}/admin/audit`);
    const text = (await page.textContent('main'))!;
    expect(text).toContain('bulk-replay');
    expect(text).toContain('filter code=(no code) source=form:contact (4)');
    expect(text).toContain('4 replayed, 0 skipped, 0 failed');
    expect(text).toContain('bulk-purge');
    expect(text).toContain('1 selected (1)');
  });
});
