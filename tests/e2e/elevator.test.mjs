// The elevator lab end to end in headless Chromium: play, hall call, share link replayed in a new
// page, corrupted links, step/back/seek, fork, compare, keyboard, faults and the phone layout.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took,
// so the suite holds on a loaded 2-core machine. Simulated times are compared as integers of
// milliseconds read from the `12.345s` time display.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, url, useBrowser } from './helpers.mjs';
import {
  DESKTOP,
  PHONE,
  SPEED_10X,
  TEST_OPTS,
  WAIT_MS,
  artifact,
  assertNoHorizontalScroll,
  byId,
  decodeLink,
  encodeLink,
  finish,
  flipCase,
  openLab,
  pausedState,
  playPast,
  share as shareLink,
  shown,
  step,
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

// ---------------------------------------------------------------------------------------------
// Page helpers (shared ones are in lab-page.mjs)

/** Opens a path; on the elevator page, waits for its controls. */
const open = (path, opts = {}) =>
  openLab(ctx.browser, path, { ...opts, ready: path.includes('elevator') ? ['time'] : [] });

const share = (page) => shareLink(page, 'elevator');

async function timeText(page) {
  return byId(page, 'time').textContent();
}

async function waitTimeNot(page, previous) {
  await page.waitForFunction(
    (prev) => document.querySelector('[data-testid="time"]')?.textContent !== prev,
    previous,
    { timeout: WAIT_MS },
  );
}

/** The run's state in the seek bar: its position and end, in milliseconds. */
async function seekState(page) {
  return byId(page, 'seek').evaluate((el) => ({ value: Number(el.value), max: Number(el.max) }));
}

async function stepBack(page) {
  const before = await timeText(page);
  await byId(page, 'step-back').click();
  await waitTimeNot(page, before);
  return pausedState(page);
}

/** Moves the seek bar the way a person drags it: sets the value and fires `input` and `change`. */
async function seekTo(page, ms) {
  const before = await timeText(page);
  await byId(page, 'seek').fill(String(ms));
  if (before !== formatTime(ms)) await waitTimeNot(page, before);
  const state = await pausedState(page);
  assert.equal(state.ms, ms, 'the seek bar put the run at the time it was dragged to');
  return state;
}

function formatTime(ms) {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}s`;
}

async function setSpeed(page, index) {
  await byId(page, 'speed').selectOption(index);
}

/** The rendered rows of the event log in order, as `time text` lines (newest last). */
async function logLines(page) {
  return page.$$eval('[data-testid="log"] .log-row', (rows) =>
    rows
      .map((row) => ({
        top: parseFloat(row.style.top),
        line: `${row.querySelector('.log-time')?.textContent} ${row.querySelector('.log-text')?.textContent}`,
      }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.line),
  );
}

async function logHas(page, text) {
  return (await logLines(page)).some((l) => l.includes(text));
}

/**
 * Waits for a notice matching `pattern` and returns its text from that same read (notices go
 * away on their own after a few seconds, so the text is not read a second time).
 */
async function noticeText(page, pattern) {
  const handle = await page.waitForFunction(
    ([source, flags]) => {
      const text = document.querySelector('.notice')?.textContent ?? '';
      return new RegExp(source, flags).test(text) ? text : null;
    },
    [pattern.source, pattern.flags],
    { timeout: WAIT_MS },
  );
  return handle.jsonValue();
}

/** The invariant strip must be green. */
async function assertInvariantsOk(page) {
  const strips = byId(page, 'invariants');
  const n = await strips.count();
  assert.ok(n >= 1, 'there is an invariant strip');
  for (let i = 0; i < n; i++) {
    const cls = await strips.nth(i).getAttribute('class');
    assert.match(cls, /\bok\b/, `invariant strip ${i} is not ok: ${cls}`);
    assert.doesNotMatch(cls, /\bviolated\b/);
  }
}

/** A link to the elevator lab's default scenario at `ms`, with these inputs, made here in node. */
function linkAt(ms, inputs = []) {
  return encodeLink(url('#/elevator'), { v: 1, lab: 'elevator', scenario: {}, inputs, cursor: ms, view: {} });
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: play, call, step, share, and the identical run in a new page

test('play, hall call, steps, then the share link replays the identical run in a new page', TEST_OPTS, async () => {
  const a = await open('#/elevator');
  const { page } = a;
  try {
    // The page opens paused at time 0 with the empty log's fingerprint.
    const start = await pausedState(page);
    assert.equal(start.ms, 0);
    assert.equal(await page.locator('.error-banner').count(), 0);
    await byId(page, 'log').waitFor();
    await page.locator('svg.section').waitFor();

    await setSpeed(page, SPEED_10X);
    const played = await playPast(page, 5_000);
    assert.ok(played.ms > 5_000);
    assert.notEqual(played.digest, start.digest);

    // A hall call while paused: recorded at the paused time, narrated, marked on the seek bar.
    const hall = byId(page, 'hall-3-up');
    assert.equal(await hall.count(), 1, 'the default building has an up button at floor 3');
    const before = await pausedState(page);
    await hall.click();
    await waitLogContains(page, 'You pressed ▲ up at floor 3');
    await page.locator('.seek .tick.input').first().waitFor();
    const called = await pausedState(page);
    assert.equal(called.ms, before.ms, 'a call does not move the clock');
    assert.notEqual(called.digest, before.digest, 'the call is in the log, so the fingerprint changed');

    let state = called;
    for (let i = 0; i < 4; i++) {
      const next = await step(page);
      assert.ok(next.ms >= state.ms && next.digest !== state.digest, `step ${i + 1} moves on (${state.time} -> ${next.time})`);
      state = next;
    }
    const lines = await logLines(page);
    assert.ok(lines.length >= 3, 'the log shows entries');
    const entries = await page.locator('.log-panel .panel-head .small').textContent();

    // Share; the speed (10×) travels in the link's view options.
    const link = await share(page);
    // The copy's outcome, whichever it is (a headless browser may allow or refuse it).
    await noticeText(page, /Link copied|did not allow copying/);
    const { payload } = decodeLink(link);
    assert.equal(payload.lab, 'elevator');
    assert.equal(payload.cursor, state.ms, 'the link carries the current time as its cursor');
    assert.ok(
      payload.inputs.some(([, cmd]) => cmd?.call?.floor === 3 && cmd.call.dir === 'up'),
      'the link carries the hall call',
    );

    // A brand-new context (no shared storage) opens the link, paused at the same moment.
    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, state.time, 'same time');
      assert.equal(other.digest, state.digest, 'same run fingerprint');
      assert.equal(await b.page.locator('.error-banner').count(), 0);
      await waitLogContains(b.page, lines[lines.length - 1].split(' ').slice(1).join(' '));
      const otherLines = await logLines(b.page);
      assert.deepEqual(otherLines.slice(-5), lines.slice(-5), 'the log ends with the same lines');
      assert.equal(await b.page.locator('.log-panel .panel-head .small').textContent(), entries);
      assert.equal(await byId(b.page, 'speed').inputValue(), SPEED_10X, 'the speed came with the link');
      assert.equal(await byId(b.page, 'hall-3-up').count(), 1);
      // The replayed run goes on like the original: one more step gives the same state in both.
      const nextB = await step(b.page);
      const nextA = await step(page);
      assert.deepEqual(nextB, nextA, 'both runs take the same next step');
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }
});

test('share copies to the clipboard when allowed, and falls back to the field when not', TEST_OPTS, async () => {
  // Allowed: the clipboard holds exactly the link the field shows.
  {
    const opened = await open('#/elevator');
    const { page, context } = opened;
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url('')).origin });
      await step(page);
      const link = await share(page);
      await noticeText(page, /Link copied/);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
    } finally {
      await finish(opened);
    }
  }
  // Denied: writeText rejects, as a browser that refuses clipboard access does.
  {
    const opened = await open('#/elevator', {
      initScript: () => {
        navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
      },
    });
    const { page } = opened;
    try {
      await step(page);
      const link = await share(page);
      await noticeText(page, /did not allow copying; copy the link from the field/);
      assert.equal(await page.locator('#share-url').inputValue(), link, 'the field keeps the link');
    } finally {
      await finish(opened);
    }
  }
  // No clipboard API at all, as on a page served over plain http from another machine.
  {
    const opened = await open('#/elevator', {
      initScript: () => {
        Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
      },
    });
    const { page } = opened;
    try {
      await step(page);
      const link = await share(page);
      await noticeText(page, /did not allow copying; copy the link from the field/);
      assert.equal(await page.locator('#share-url').inputValue(), link, 'the field keeps the link');
    } finally {
      await finish(opened);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 3: corrupted links

test('corrupted links show an error banner over the default scenario, which still plays', TEST_OPTS, async () => {
  // A real link from the page, at a fixed number of steps so the corruptions below are the same every run.
  let link;
  {
    const opened = await open('#/elevator');
    try {
      for (let i = 0; i < 6; i++) await step(opened.page);
      await byId(opened.page, 'hall-3-up').click();
      await waitLogContains(opened.page, 'You pressed ▲ up at floor 3');
      link = await share(opened.page);
    } finally {
      await finish(opened);
    }
  }
  const { prefix, version, body, payload } = decodeLink(link);
  const fragment = (l) => l.slice(l.indexOf('#'));
  const half = Math.floor(body.length / 2);
  const cases = [
    ['truncated payload', `${prefix}?s=${version}.${body.slice(0, half)}`, /damaged or truncated/],
    ['last characters cut', `${prefix}?s=${version}.${body.slice(0, -3)}`, /damaged or truncated/],
    ['letters flipped', `${prefix}?s=${version}.${flipCase(body, 8, 24)}`, /damaged or truncated/],
    ['characters outside base64url', `${prefix}?s=${version}.${body.slice(0, 10)}!*~${body.slice(13)}`, /damaged or truncated/],
    ['unknown version', `${prefix}?s=9.${body}`, /unknown version/],
    ['no payload', `${prefix}?s=`, /damaged or truncated|not an Orrery link/],
    ['not a payload', `${prefix}?s=hello`, /damaged or truncated/],
    ['valid encoding, impossible building', encodeLink(prefix, { ...payload, scenario: { ...payload.scenario, floors: 100000 } }), /cannot be set up/],
    ['valid encoding, cursor beyond the longest run', encodeLink(prefix, { ...payload, cursor: 1e15 }), /cannot be set up|out of range|too large/i],
  ];
  for (const [name, bad, message] of cases) {
    const opened = await open(fragment(bad));
    const { page } = opened;
    try {
      const banner = page.locator('.error-banner');
      await banner.waitFor({ state: 'visible' });
      const text = await banner.textContent();
      assert.match(text, /This link could not be opened/, `${name}: ${text}`);
      assert.match(text, message, `${name}: ${text}`);
      assert.match(text, /\. Showing the lab's default scenario instead\.$/, `${name}: ${text}`);
      // The default scenario: paused at 0 with an empty log, the whole building drawn.
      const start = await pausedState(page);
      assert.equal(start.ms, 0, `${name}: the default scenario starts at 0`);
      assert.equal(await byId(page, 'hall-3-up').count(), 1);
      await assertInvariantsOk(page);
      // And it plays.
      const played = await playPast(page, 500);
      assert.ok(played.ms > 500, `${name}: the default scenario plays`);
    } finally {
      await finish(opened);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 4: step, step back, seek

test('step forward and back retraces the same events; seeking back and forth returns the same run', TEST_OPTS, async () => {
  const opened = await open('#/elevator');
  const { page } = opened;
  try {
    // Start on an event, with a hall call recorded before it: a few steps in, then one back,
    // which lands on a time with everything that happened at it.
    await step(page);
    await byId(page, 'hall-3-up').click();
    await waitLogContains(page, 'You pressed ▲ up at floor 3');
    for (let i = 0; i < 4; i++) await step(page);
    const origin = await stepBack(page);

    // Step forward until the clock has moved on five times. Step visits every event, so it
    // can stay on one millisecond for several presses; step back goes to the previous time at
    // which something happened, with everything that happened then. So each time reached going
    // back must show the last state stepping forward showed at that time.
    const forward = [origin];
    const times = [origin.ms];
    while (times.length < 6) {
      assert.ok(forward.length < 60, 'five later times within 60 steps');
      const next = await step(page);
      assert.ok(next.ms >= forward[forward.length - 1].ms, 'step never goes back in time');
      if (next.ms > times[times.length - 1]) times.push(next.ms);
      forward.push(next);
    }
    const lastAt = (ms) => forward.filter((s) => s.ms === ms).pop();
    const back = [];
    for (let i = 0; i < 5; i++) back.push(await stepBack(page));
    assert.deepEqual(
      back.map((s) => s.ms),
      times.slice(0, 5).reverse(),
      'step back visits the times step went through, in reverse',
    );
    for (const s of back) assert.deepEqual(s, lastAt(s.ms), `the same state at ${s.time} both ways`);
    assert.deepEqual(back[4], origin, 'forward then back again returns to the same time and fingerprint');

    // Play on to a later point, then scrub back and forth with the seek bar.
    await setSpeed(page, SPEED_10X);
    const later = await playPast(page, origin.ms + 4_000);
    const bar = await seekState(page);
    assert.equal(bar.value, later.ms, 'the seek bar sits at the current time');
    assert.ok(bar.max >= later.ms, 'and the end of the bar is the furthest time reached');

    const earlier = Math.floor(later.ms / 3);
    const scrubbed = await seekTo(page, earlier);
    assert.notEqual(scrubbed.digest, later.digest);
    assert.equal((await seekState(page)).max, bar.max, 'seeking back keeps the recorded future');
    // The call is still in the recorded inputs: its tick stays on the bar.
    assert.ok((await page.locator('.seek .tick.input').count()) >= 1);

    const again = await seekTo(page, later.ms);
    assert.equal(again.digest, later.digest, 'forward again gives the original run fingerprint');

    // Back to before the call and forward once more: the recorded call is replayed.
    await seekTo(page, 0);
    assert.equal((await seekTo(page, later.ms)).digest, later.digest);
    // Stepping from the scrubbed-to time goes forward as usual.
    await seekTo(page, earlier);
    const stepped = await step(page);
    assert.ok(stepped.ms >= earlier && stepped.digest !== scrubbed.digest);
    await assertInvariantsOk(page);
  } finally {
    await finish(opened);
  }
});

// ---------------------------------------------------------------------------------------------
// 5: fork and compare

test('fork keeps the time and drops the future; compare mode runs two configurations side by side', TEST_OPTS, async () => {
  const opened = await open('#/elevator');
  const { page } = opened;
  try {
    await setSpeed(page, SPEED_10X);
    const later = await playPast(page, 6_000);
    const mid = await seekTo(page, Math.floor(later.ms / 2));
    assert.equal((await seekState(page)).max, later.ms);

    await byId(page, 'fork').click();
    await noticeText(page, /Forked/);
    await page.waitForFunction(
      (ms) => Number(document.querySelector('[data-testid="seek"]')?.max) === ms,
      mid.ms,
      { timeout: WAIT_MS },
    );
    const forked = await pausedState(page);
    assert.deepEqual(forked, mid, 'fork leaves the time and the run as they were');
    assert.match(await page.locator('.controls .clock').textContent(), new RegExp(`/ ${mid.time.replace('.', '\\.')}`));

    // Compare: B is A with another dispatcher, on the same seed and inputs.
    assert.equal(await byId(page, 'compare-metrics').count(), 0);
    await byId(page, 'compare').click();
    const table = byId(page, 'compare-metrics');
    await table.waitFor({ state: 'visible' });
    const heads = await table.locator('thead th').allTextContents();
    const a = heads.find((h) => h.startsWith('A · '));
    const b = heads.find((h) => h.startsWith('B · '));
    assert.ok(a && b, `two labelled configurations: ${heads.join(' | ')}`);
    assert.match(a, /dispatcher = /);
    assert.notEqual(a.slice(4), b.slice(4), 'the two configurations differ');
    assert.equal(await page.locator('.stage.side-a svg.section').count(), 1);
    assert.equal(await page.locator('.stage.side-b svg.section').count(), 1);
    assert.equal(await byId(page, 'invariants').count(), 2);

    // Both advance together; the table keeps rows for both.
    const compared = await step(page);
    assert.ok(compared.ms >= mid.ms && compared.digest !== mid.digest);
    const rows = await table.locator('tbody tr').count();
    assert.ok(rows >= 1, 'compare metrics has rows');
    await assertInvariantsOk(page);

    // Compare mode travels in a share link.
    const link = await share(page);
    const other = await open(link.slice(link.indexOf('#')));
    try {
      await byId(other.page, 'compare-metrics').waitFor({ state: 'visible' });
      const otherHeads = await byId(other.page, 'compare-metrics').locator('thead th').allTextContents();
      assert.deepEqual(otherHeads, heads);
      const state = await pausedState(other.page);
      assert.deepEqual(state, compared);
    } finally {
      await finish(other);
    }

    // And it turns off again.
    await byId(page, 'compare').click();
    await table.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.stage.side-b').count(), 0);
  } finally {
    await finish(opened);
  }
});

// ---------------------------------------------------------------------------------------------
// 6: keyboard

test('keyboard: space plays and pauses, "." steps and "," steps back', TEST_OPTS, async () => {
  const opened = await open('#/elevator');
  const { page } = opened;
  const pressed = (v) =>
    page.waitForFunction(
      (want) => document.querySelector('[data-testid="play"]')?.getAttribute('aria-pressed') === want,
      v,
      { timeout: WAIT_MS },
    );
  try {
    // Keys go to the document, not to a focused button (where space would press the button).
    await page.evaluate(() => document.activeElement?.blur());
    await setSpeed(page, SPEED_10X);
    await page.evaluate(() => document.activeElement?.blur());

    await page.keyboard.press(' ');
    await pressed('true');
    await waitTimeNot(page, '0.000s');
    assert.equal((await byId(page, 'digest').textContent()).trim(), 'shown when paused');
    await page.keyboard.press(' ');
    await pressed('false');
    const paused = await pausedState(page);
    assert.ok(paused.ms > 0);

    const s1 = await step(page, { key: true });
    assert.ok(s1.ms >= paused.ms && s1.digest !== paused.digest, '"." steps to the next event');
    let s2 = await step(page, { key: true });
    for (let i = 0; s2.ms === s1.ms && i < 50; i++) s2 = await step(page, { key: true });
    const before = await timeText(page);
    await page.keyboard.press(',');
    await waitTimeNot(page, before);
    const back = await pausedState(page);
    assert.ok(back.ms < s2.ms && back.ms >= s1.ms, '"," steps back to the previous event time');

    // Typing in a field does not trigger shortcuts.
    await page.locator('details.scenario > summary').click();
    const field = byId(page, 'scenario-form').locator('input:not([type="checkbox"])').first();
    await field.focus();
    await page.keyboard.press(' ');
    await page.keyboard.press('.');
    assert.equal(await byId(page, 'play').getAttribute('aria-pressed'), 'false');
    assert.equal(await timeText(page), back.time);
  } finally {
    await finish(opened);
  }
});

// ---------------------------------------------------------------------------------------------
// 7: faults

test('fault palette: a car broken down mid-run is logged, the invariants hold, and it can be repaired', TEST_OPTS, async () => {
  const opened = await open('#/elevator');
  const { page } = opened;
  try {
    await setSpeed(page, SPEED_10X);
    await playPast(page, 5_000);

    assert.match(await byId(page, 'fault-target').locator('option:checked').textContent(), /^Car 0$/);
    await byId(page, 'fault-breakdown').click();
    await waitLogContains(page, 'You broke car 0 down');
    let steps = 0;
    while (!(await logHas(page, 'broken down'))) {
      assert.ok(steps < 300, 'the breakdown reached the log within 300 steps');
      await step(page);
      steps += 1;
    }
    const line = (await logLines(page)).find((l) => l.includes('broken down'));
    assert.match(line, /car 0 broken down at floor \d+/);
    await assertInvariantsOk(page);

    // The palette and the drawing know the car is broken; the palette now offers a repair.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fault-target"] option:checked')?.textContent.includes('broken down'),
      null,
      { timeout: WAIT_MS },
    );
    assert.match(await byId(page, 'car-0').getAttribute('class'), /\bbroken\b/);
    await byId(page, 'fault-repair').click();
    await waitLogContains(page, 'You repaired car 0');
    for (let i = 0; i < 5; i++) await step(page);
    await assertInvariantsOk(page);
    // The other faults are offered for car 0 again.
    await byId(page, 'fault-breakdown').waitFor();
  } finally {
    await finish(opened);
  }
});

test('user-written dispatcher: a broken script is refused in place, a good one runs and is shared', TEST_OPTS, async () => {
  const opened = await open('#/elevator');
  const { page } = opened;
  try {
    await byId(page, 'dispatcher').selectOption('script');
    await waitLogContains(page, 'You switched the dispatcher to script');
    const source = byId(page, 'script-source');
    await source.waitFor();
    // A compile error is shown next to the editor, with its line and column, and not sent.
    await source.fill('let x = distanse;\nx');
    await byId(page, 'script-load').click();
    const err = await byId(page, 'script-error').textContent();
    assert.match(err, /line 1, column 9/);
    assert.match(err, /distance/);
    assert.ok(!(await logHas(page, 'You loaded a new dispatcher script')));
    // A good script is loaded into the run, and the run goes on under it.
    await source.fill('// nearest car first\ndistance * 1_000 + car_riders');
    await byId(page, 'script-load').click();
    await waitLogContains(page, 'You loaded a new dispatcher script');
    assert.equal(await byId(page, 'script-error').count(), 0);
    await setSpeed(page, SPEED_10X);
    await playPast(page, 8_000);
    await assertInvariantsOk(page);
    // The script travels in the share link: the reopened page shows it in its editor.
    const link = await share(page);
    const other = await open(link.slice(link.indexOf('#')));
    try {
      const text = await byId(other.page, 'script-source').inputValue();
      assert.match(text, /distance \* 1_000 \+ car_riders/);
    } finally {
      await finish(other);
    }
  } finally {
    await finish(opened);
  }
});

// ---------------------------------------------------------------------------------------------
// 8: phone layout and screenshots

test('on a 390×844 phone the lab fits the width and the building is visible', TEST_OPTS, async () => {
  const opened = await open('#/elevator', { viewport: PHONE });
  const { page } = opened;
  try {
    const svg = page.locator('.section-scroll svg.section');
    await svg.waitFor({ state: 'visible' });
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, `the building is drawn: ${JSON.stringify(box)}`);
    assert.ok(box.x >= 0 && box.x < PHONE.width, 'the building starts on screen');
    await assertNoHorizontalScroll(page, PHONE.width, 'elevator lab');

    // Still usable on the phone: play, call, step; and compare mode still fits.
    await setSpeed(page, SPEED_10X);
    await playPast(page, 3_000);
    await byId(page, 'hall-3-up').click();
    await waitLogContains(page, 'You pressed ▲ up at floor 3');
    await step(page);
    await assertNoHorizontalScroll(page, PHONE.width, 'elevator lab after playing');
    await byId(page, 'compare').click();
    await byId(page, 'compare-metrics').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'elevator lab in compare mode');
  } finally {
    await finish(opened);
  }
  const home = await open('#/', { viewport: PHONE });
  try {
    await home.page.locator('[data-testid="lab-card-elevator"]').waitFor({ state: 'visible' });
    await assertNoHorizontalScroll(home.page, PHONE.width, 'home page');
  } finally {
    await finish(home);
  }
});

test('screenshots of the home page and the elevator lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    // Reduced motion keeps the home page's thumbnails still, so the picture is the same every run.
    const home = await open('#/', { viewport, reducedMotion: 'reduce' });
    try {
      await home.page.locator('[data-testid="lab-card-elevator"] svg').waitFor({ state: 'visible' });
      await screenshot(home.page, `home-${size}`);
      await home.page.screenshot({ path: await artifact(`home-${size}-viewport`) });
    } finally {
      await finish(home);
    }
    // The lab at 90 s with a few calls, from a link made here: a busy, reproducible picture.
    const link = linkAt(90_000, [
      [20_000, { call: { floor: 7, dir: 'down' } }],
      [60_000, { call: { floor: 3, dir: 'up' } }],
    ]);
    const lab = await open(link.slice(link.indexOf('#')), { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(state.ms, 90_000, 'a link made outside the page opens at its cursor');
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      await lab.page.locator('svg.section').waitFor({ state: 'visible' });
      await screenshot(lab.page, `elevator-${size}`);
      await lab.page.screenshot({ path: await artifact(`elevator-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
});
