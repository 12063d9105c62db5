// Helpers for driving a lab page, shared by the lab test files: open and close pages, read the
// clock and fingerprint, play, step, share and decode links, and check the layout.
//
// Every wait is on a DOM condition (never a sleep), capped by WAIT_MS.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ARTIFACTS_DIR, assertNoErrors, openPage, url, waitForAppStart } from './helpers.mjs';

/** Generous, for a loaded CI machine: every wait is for a condition, so this is only a cap. */
export const WAIT_MS = 60_000;
/** A cap per test; a passing test takes a few seconds. */
export const TEST_OPTS = { timeout: 180_000 };
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/** Index of 10× in the speed menu (state.rs SPEEDS). */
export const SPEED_10X = '5';

export const byId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Reads `12.345s` as 12345 (milliseconds). */
export function parseTime(text) {
  const m = /^\s*(\d+)\.(\d{3})s\s*$/.exec(text ?? '');
  assert.ok(m, `not a time display: ${JSON.stringify(text)}`);
  return Number(m[1]) * 1000 + Number(m[2]);
}

/**
 * Opens `path` in a fresh context and waits for the app, then for each element of `ready`
 * (data-testid values, e.g. the clock of a lab page).
 */
export async function openLab(browser, path, { viewport = DESKTOP, reducedMotion, initScript, ready = [] } = {}) {
  const opened = await openPage(browser, null, { viewport });
  const { page, errors } = opened;
  page.setDefaultTimeout(WAIT_MS);
  if (reducedMotion) await page.emulateMedia({ reducedMotion });
  if (initScript) await page.addInitScript(initScript);
  await page.goto(url(path), { waitUntil: 'load' });
  await waitForAppStart(page, errors);
  for (const id of ready) await byId(page, id).waitFor();
  return opened;
}

/** Closes the context and checks that the page reported no error and showed no panic banner. */
export async function finish({ context, page, errors }) {
  try {
    assert.equal(await page.locator('.panic-banner').count(), 0, 'a panic banner is shown');
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
}

/** Waits until the run is paused and shows its fingerprint, then returns time and digest together. */
export async function pausedState(page) {
  const handle = await page.waitForFunction(
    () => {
      const play = document.querySelector('[data-testid="play"]');
      const time = document.querySelector('[data-testid="time"]')?.textContent;
      const digest = document.querySelector('[data-testid="digest"]')?.textContent.trim();
      if (play?.getAttribute('aria-pressed') !== 'false') return null;
      if (!/^[0-9a-f]{64}$/.test(digest ?? '')) return null;
      return { time, digest };
    },
    null,
    { timeout: WAIT_MS },
  );
  const state = await handle.jsonValue();
  return { ...state, ms: parseTime(state.time) };
}

/** The clock and the fingerprint as shown, read together. */
export async function shown(page) {
  return page.evaluate(() => ({
    time: document.querySelector('[data-testid="time"]')?.textContent,
    digest: document.querySelector('[data-testid="digest"]')?.textContent.trim(),
  }));
}

/**
 * One press of Step (button or `.` key), returning the new paused state. Step goes to the next
 * event, which may fall at the same millisecond as the current one (a call answered at once), so
 * this waits for the clock or the fingerprint to change.
 */
export async function step(page, { key = false } = {}) {
  const before = await shown(page);
  if (key) await page.keyboard.press('.');
  else await byId(page, 'step').click();
  await page.waitForFunction(
    (prev) =>
      document.querySelector('[data-testid="time"]')?.textContent !== prev.time ||
      document.querySelector('[data-testid="digest"]')?.textContent.trim() !== prev.digest,
    before,
    { timeout: WAIT_MS },
  );
  return pausedState(page);
}

/** Plays until the clock passes `ms`, then pauses; returns the paused state. */
export async function playPast(page, ms) {
  await byId(page, 'play').click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="play"]')?.getAttribute('aria-pressed') === 'true',
    null,
    { timeout: WAIT_MS },
  );
  await page.waitForFunction(
    (limit) => {
      const m = /^(\d+)\.(\d{3})s$/.exec(document.querySelector('[data-testid="time"]')?.textContent ?? '');
      return m && Number(m[1]) * 1000 + Number(m[2]) > limit;
    },
    ms,
    { timeout: WAIT_MS },
  );
  await byId(page, 'play').click();
  return pausedState(page);
}

/** Waits until a rendered log row contains `text`. */
export async function waitLogContains(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('[data-testid="log"] .log-row')].some((r) => r.textContent.includes(t)),
    text,
    { timeout: WAIT_MS },
  );
}

/** Presses Share and returns the link the field shows, checking it is a link to `lab`. */
export async function share(page, lab) {
  await byId(page, 'share').click();
  const field = page.locator('#share-url');
  await field.waitFor();
  const link = await field.inputValue();
  assert.match(link, new RegExp(`#/${lab}\\?s=\\d+\\.[A-Za-z0-9_-]+$`), `an Orrery share link: ${link}`);
  return link;
}

/** Splits a share link into its parts and decodes the payload (raw deflate, base64url JSON). */
export function decodeLink(link) {
  const [prefix, s] = link.split('?s=');
  const dot = s.indexOf('.');
  const version = s.slice(0, dot);
  const body = s.slice(dot + 1);
  const payload = JSON.parse(inflateRawSync(Buffer.from(body, 'base64url')).toString('utf8'));
  return { prefix, version, body, payload };
}

export function encodeLink(prefix, payload) {
  const body = deflateRawSync(Buffer.from(JSON.stringify(payload), 'utf8'), { level: 9 }).toString('base64url');
  return `${prefix}?s=${payload.v}.${body}`;
}

/** Swaps the case of the letters of `body` in [from, to). */
export function flipCase(body, from, to) {
  const mid = [...body.slice(from, to)]
    .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
    .join('');
  return body.slice(0, from) + mid + body.slice(to);
}

export async function assertNoHorizontalScroll(page, width, what) {
  const sizes = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
  }));
  assert.ok(sizes.doc <= width + 1, `${what}: the page scrolls sideways (documentElement.scrollWidth ${sizes.doc})`);
  assert.ok(sizes.body <= width + 1, `${what}: the body scrolls sideways (body.scrollWidth ${sizes.body})`);
}

/** A path for a viewport-sized PNG in the (gitignored) artifacts directory. */
export async function artifact(name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, `${name}.png`);
}
