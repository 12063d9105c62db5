// Smoke test: the home page loads in headless Chromium, starts the wasm app and logs no errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoErrors, openPage, screenshot, useBrowser } from './helpers.mjs';

const ctx = useBrowser();

test('home page loads with an Orrery title and no console errors', async () => {
  const { context, page, errors } = await openPage(ctx.browser, '/');
  try {
    assert.match(await page.title(), /Orrery/);
    // Let the first animation frames run, so errors raised while rendering are caught too.
    await page.waitForTimeout(500);
    await screenshot(page, 'smoke-home');
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
