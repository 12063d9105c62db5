// Shared helpers for the browser end-to-end suite: Debian Chromium through playwright-core, error capture, screenshots.
//
// The suite runs against ORRERY_BASE_URL (scripts/test.sh serves dist/ and sets it); without it, the
// default is `trunk serve` on http://127.0.0.1:8080/ (scripts/serve.sh).
// Typical use in a test file:
//
//   import { test } from 'node:test';
//   import { useBrowser, openPage, assertNoErrors } from './helpers.mjs';
//   const ctx = useBrowser();
//   test('home page', async () => {
//     const { page, errors } = await openPage(ctx.browser, '/');
//     assertNoErrors(errors);
//   });

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Where the app is served, always ending in a slash. */
export const BASE_URL = (process.env.ORRERY_BASE_URL ?? 'http://127.0.0.1:8080/').replace(/\/?$/, '/');

/** The Chromium binary; Debian's package by default (playwright-core never downloads a browser). */
export const CHROMIUM_PATH = process.env.ORRERY_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go; the directory is gitignored. */
export const ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

/** How long to wait for the wasm app to start, in milliseconds. */
export const START_TIMEOUT_MS = Number(process.env.ORRERY_START_TIMEOUT_MS ?? 20000);

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches headless Debian Chromium. */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Launches one browser for the current test file and closes it afterwards.
 * Returns an object whose `browser` property is set once the `before` hook has run.
 */
export function useBrowser() {
  const ctx = { browser: null };
  before(async () => {
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
  });
  return ctx;
}

/** Turns a path such as `/#/caches` or `#/caches` into an absolute URL under BASE_URL. */
export function url(path = '') {
  return new URL(path.replace(/^\//, ''), BASE_URL).href;
}

/**
 * Opens a new page in a fresh context, recording console errors and uncaught page errors in `errors`.
 * Unless `waitForApp` is false, it navigates to `path` and waits until Trunk reports the wasm app started.
 */
export async function openPage(browser, path = '/', { waitForApp = true, viewport } = {}) {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location()?.url ? ` (${msg.location().url})` : '';
      errors.push(`console: ${msg.text()}${where}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  // The loader in index.html fires `OrreryStarted` on window once a bundle has run its start function.
  await page.addInitScript(() => {
    window.__orreryStarted = false;
    window.addEventListener('OrreryStarted', () => {
      window.__orreryStarted = true;
    });
  });
  if (path !== null) {
    await page.goto(url(path), { waitUntil: 'load' });
    if (waitForApp) await waitForAppStart(page, errors);
  }
  return { context, page, errors };
}

/**
 * Waits until the wasm app has started. It fails at once when the page throws an uncaught error
 * (a panic in the app traps as `unreachable`), and otherwise after START_TIMEOUT_MS; the error lists
 * whatever the page reported and a screenshot is saved as app-did-not-start.png.
 */
export async function waitForAppStart(page, errors = []) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await page.evaluate(() => window.__orreryStarted === true)) return;
    const thrown = errors.some((e) => e.startsWith('page error:'));
    if (thrown || Date.now() > deadline) {
      await screenshot(page, 'app-did-not-start').catch(() => {});
      const why = thrown ? 'the page threw an error' : `nothing after ${START_TIMEOUT_MS} ms`;
      const detail = errors.length ? `\n${errors.join('\n')}` : '';
      throw new Error(`the wasm app did not start (${why})${detail}`);
    }
    await page.waitForTimeout(50);
  }
}

/** Fails the test, listing every error, when any console or page error was recorded. */
export function assertNoErrors(errors) {
  assert.deepEqual(errors, [], `errors in the page:\n${errors.join('\n')}`);
}

/** Saves a full-page PNG as tests/e2e/artifacts/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const safe = String(name).replace(/[^A-Za-z0-9._-]+/g, '-');
  const file = join(ARTIFACTS_DIR, `${safe}.png`);
  // Parts of a page skip rendering while out of view (`content-visibility: auto`); a person
  // scrolling sees them drawn, so the full-page picture draws them too.
  const shown = await page.addStyleTag({ content: '* { content-visibility: visible !important; }' });
  await page.screenshot({ path: file, fullPage: true });
  await shown.evaluate((el) => el.remove());
  return file;
}
