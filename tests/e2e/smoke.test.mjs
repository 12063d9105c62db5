// Smoke tests: the home page loads in headless Chromium, starts its bundle and logs no errors;
// every page downloads only its own bundle, within the first-load budget; the cards and the
// navigation move between bundles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { assertNoErrors, openPage, screenshot, url, useBrowser, waitForAppStart } from './helpers.mjs';

const ctx = useBrowser();

/** DESIGN.md's performance budget for the first load of any page, gzip. */
const FIRST_LOAD_BUDGET = 400 * 1000;

test('home page loads with an Orrery title and no console errors', async () => {
  const { context, page, errors } = await openPage(ctx.browser, '/');
  try {
    assert.match(await page.title(), /Orrery/);
    assert.equal(await page.evaluate(() => document.documentElement.dataset.bundle), 'home');
    const cards = await page.locator('[data-testid^="lab-card-"]').count();
    assert.ok(cards >= 2, `${cards} lab cards`);
    await screenshot(page, 'smoke-home');
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

/** Opens `path` and returns every response the page received, with its gzip size. */
async function firstLoad(path) {
  const context = await ctx.browser.newContext();
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => responses.push(r));
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    window.__orreryStarted = false;
    window.addEventListener('OrreryStarted', () => {
      window.__orreryStarted = true;
    });
  });
  await page.goto(url(path), { waitUntil: 'load' });
  await waitForAppStart(page, errors);
  const files = [];
  for (const r of responses) {
    const body = await r.body().catch(() => Buffer.alloc(0));
    files.push({ name: new URL(r.url()).pathname.replace(/^\//, '') || 'index.html', gzip: gzipSync(body, { level: 9 }).length });
  }
  await context.close();
  return files;
}

test('each page downloads only its own bundle, within the first-load budget', async () => {
  const cards = await (async () => {
    const { context, page } = await openPage(ctx.browser, '/');
    const ids = await page.locator('[data-testid^="lab-card-"]').evaluateAll((els) =>
      els.map((e) => e.dataset.testid.replace('lab-card-', '')),
    );
    await context.close();
    return ids;
  })();
  const report = [];
  for (const [path, bundle] of [['/', 'home'], ...cards.map((id) => [`/#/${id}`, `lab-${id}`])]) {
    const files = await firstLoad(path);
    const wasm = files.filter((f) => f.name.endsWith('.wasm')).map((f) => f.name);
    assert.deepEqual(wasm, [`${bundle}_bg.wasm`], `${path} loads exactly its own bundle`);
    const total = files.reduce((sum, f) => sum + f.gzip, 0);
    report.push(`${path}: ${total} bytes gzip (${files.map((f) => `${f.name} ${f.gzip}`).join(', ')})`);
    assert.ok(total < FIRST_LOAD_BUDGET, `${path} first load is ${total} bytes gzip, over ${FIRST_LOAD_BUDGET}`);
  }
  console.log(report.join('\n'));
});

test('a card opens its lab in its bundle, and the top bar leads to another lab and home', async () => {
  const { context, page, errors } = await openPage(ctx.browser, '/');
  try {
    await page.click('[data-testid="lab-card-cache"]');
    await page.waitForFunction(() => document.documentElement.dataset.bundle === 'lab-cache');
    await waitForAppStart(page, errors);
    await page.locator('.lab-page').first().waitFor();
    assert.match(await page.title(), /Cache/);
    await page.click('.lab-nav a[href="#/elevator"]');
    await page.waitForFunction(() => document.documentElement.dataset.bundle === 'lab-elevator');
    await waitForAppStart(page, errors);
    assert.match(await page.title(), /Elevator/);
    // Home is drawn by the lab's bundle itself, without a reload.
    await page.click('a.brand');
    await page.locator('[data-testid="lab-card-elevator"]').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.bundle), 'lab-elevator');
    await page.goto(url('/#/nosuchlab'));
    await page.locator('.not-found').waitFor();
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
