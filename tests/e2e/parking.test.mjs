// The parking lot lab end to end in headless Chromium: two entry gates stepped by hand into the
// race for the last spot, without concurrency control (a double assignment, shown with its
// interleaving) and with CAS (never); the share link replays the race exactly; subscribers,
// trucks, lost tickets and cash payers by hand and the surge price now; a large lot is
// summarised per level; the phone layout fits; screenshots.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took.
// Page helpers shared with the other lab suites are in lab-page.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, url, useBrowser } from './helpers.mjs';
import {
  DESKTOP,
  PHONE,
  TEST_OPTS,
  WAIT_MS,
  artifact,
  assertNoHorizontalScroll,
  byId,
  decodeLink,
  encodeLink,
  finish,
  openLab,
  pausedState,
  share as shareLink,
  step,
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

/** Opens a path; on the parking page, waits for its controls and its drawing. */
const open = (path, opts = {}) =>
  openLab(ctx.browser, path, { ...opts, ready: ['time', 'parking-view'] });

const share = (page) => shareLink(page, 'parking');

/** The fragment of a link made here for `scenario`, opened at `cursor`. */
function fragment(scenario, { inputs = [], cursor = 0 } = {}) {
  const made = encodeLink(url('#/parking'), { v: 1, lab: 'parking', scenario, inputs, cursor, view: {} });
  return made.slice(made.indexOf('#'));
}

/** One free spot, two entry gates and one exit stepped by hand, no background traffic. */
const LAST_SPOT = {
  plan: [['c']],
  entry_gates: 2,
  exit_gates: 1,
  control: 'none',
  interleaving: 'manual',
  traffic: { peak_per_hour: 0, decline_permille: 0, timeout_permille: 0 },
};

/** Waits until gate `name` shows `phase` (read, write, retry, idle, …). */
async function gatePhase(page, name, phase) {
  await page.waitForFunction(
    ([n, p]) => document.querySelector(`[data-testid="gate-${n}"]`)?.dataset.phase === p,
    [name, phase],
    { timeout: WAIT_MS },
  );
}

/** Clicks gate `name` (one step by hand) and waits until it shows `then`. */
async function stepGate(page, name, then) {
  await byId(page, `gate-${name}`).click();
  await gatePhase(page, name, then);
}

/** Two cars arrive; each queues at its own entry gate, whose next step is a read. */
async function twoCars(page) {
  await byId(page, 'arrive-car').click();
  await byId(page, 'arrive-car').click();
  await waitLogContains(page, 'V2 (car) queues at E2');
  await gatePhase(page, 'E1', 'read');
  await gatePhase(page, 'E2', 'read');
  assert.match(await byId(page, 'gate-E1-next').textContent(), /read for V1/);
  assert.match(await byId(page, 'gate-E2-next').textContent(), /read for V2/);
}

/** The holders drawn on a spot. */
const holders = async (page, spot) => Number(await byId(page, `spot-${spot}`).getAttribute('data-holders'));

test('no control: two gates stepped by hand both hand out the last spot; the strip shows the interleaving; the link replays it', TEST_OPTS, async () => {
  const a = await open(fragment(LAST_SPOT));
  const { page } = a;
  try {
    const start = await pausedState(page);
    assert.equal(start.ms, 0);
    assert.equal(await page.locator('.error-banner').count(), 0);
    assert.equal(await byId(page, 'control').inputValue(), 'none');
    assert.match(await byId(page, 'gate-hint').textContent(), /click a gate/);
    await twoCars(page);

    // E1 reads 1A01 free, E2 reads it free too, then both write.
    await stepGate(page, 'E1', 'write');
    assert.match(await byId(page, 'gate-E1-next').textContent(), /write 1A01 for V1/);
    await stepGate(page, 'E2', 'write');
    assert.match(await byId(page, 'gate-E2-next').textContent(), /write 1A01 for V2/);
    await page.locator('.invariants.ok').waitFor();
    await stepGate(page, 'E1', 'idle');
    assert.equal(await holders(page, '1A01'), 1);
    await stepGate(page, 'E2', 'idle');
    await waitLogContains(page, 'DOUBLE ASSIGNMENT: 1A01 is given to V1 and V2');

    // The strip names the invariant and the exact interleaving; the plan draws the spot red.
    const strip = page.locator('.invariants.violated');
    await strip.waitFor();
    const text = await strip.textContent();
    assert.match(text, /one vehicle per spot/);
    assert.match(
      text,
      /E1 read it free for V1 at 0\.000s, then E2 read it free for V2 at 0\.000s, then E1 wrote V1 at 0\.000s, then E2 wrote V2 at 0\.000s/,
      text,
    );
    assert.equal(await holders(page, '1A01'), 2);
    assert.match(await byId(page, 'spot-1A01').getAttribute('class'), /\bdouble\b/);
    assert.equal(await byId(page, 'stat-double').textContent(), '1');
    // The table has nothing free while the cached display still says 1 free: the anomaly.
    assert.equal(await byId(page, 'display-L1').getAttribute('data-anomaly'), 'true');
    assert.match(await byId(page, 'display-L1').textContent(), /1 free.*anomaly/);

    const state = await pausedState(page);
    const link = await share(page);
    const { payload } = decodeLink(link);
    assert.equal(payload.scenario.control, 'none');
    assert.deepEqual(
      payload.inputs.map(([, cmd]) => cmd?.step_gate?.gate).filter(Boolean),
      ['E1', 'E2', 'E1', 'E2'],
      'the link carries the steps in their order',
    );

    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, state.time, 'same time');
      assert.equal(other.digest, state.digest, 'same run fingerprint');
      assert.equal(await b.page.locator('.error-banner').count(), 0);
      assert.equal(await b.page.locator('.invariants.violated').textContent(), text, 'the same violation, word for word');
      assert.equal(await holders(b.page, '1A01'), 2);
      const drawn = (p) => byId(p, 'parking-view').evaluate((el) => el.innerText);
      assert.equal(await drawn(b.page), await drawn(page), 'the same picture');
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }
});

test('with CAS the same steps never double-assign: the second write fails, retries and finds the lot full', TEST_OPTS, async () => {
  const opened = await open(fragment(LAST_SPOT));
  const { page } = opened;
  try {
    await byId(page, 'control').selectOption('cas');
    await waitLogContains(page, 'You set the concurrency control to CAS');
    await twoCars(page);
    await stepGate(page, 'E1', 'write');
    await stepGate(page, 'E2', 'write');
    await stepGate(page, 'E1', 'idle');
    // E2's compare-and-swap sees a newer version: its write fails and it reads again.
    await stepGate(page, 'E2', 'retry');
    await waitLogContains(page, 'CAS conflict on 1A01');
    assert.match(await byId(page, 'gate-E2-next').textContent(), /1 failed write/);
    await stepGate(page, 'E2', 'idle');
    await waitLogContains(page, 'E2 turns V2 away: lot full');
    assert.equal(await holders(page, '1A01'), 1);
    assert.equal(await page.locator('.invariants.violated').count(), 0);
    await page.locator('.invariants.ok').waitFor();
    assert.equal(await byId(page, 'stat-double').textContent(), '0');
    assert.match(await byId(page, 'stat-rejected').textContent(), /^1 full/);
    // One more step of the run: still no violation.
    await step(page);
    assert.equal(await page.locator('.invariants.violated').count(), 0);
  } finally {
    await finish(opened);
  }
});

test('subscribers, trucks, lost tickets and cash payers arrive by hand; a ticket issued in a busy lot pays the surge', TEST_OPTS, async () => {
  // A reserved spot and two compact ones; dynamic pricing ×1.5 from 30% full.
  const lot = {
    ...LAST_SPOT,
    plan: [['rcc']],
    control: 'cas',
    tariff: { surge: [[300, 1500]] },
  };
  const opened = await open(fragment(lot));
  const { page } = opened;
  try {
    assert.match(await byId(page, 'stat-price').textContent(), /^base rate · 0% full/);
    // A monthly subscriber is offered the reserved spot first.
    await byId(page, 'arrive-subscriber').click();
    await waitLogContains(page, 'V1 (car subscriber) queues at E1');
    await stepGate(page, 'E1', 'write');
    assert.match(await byId(page, 'gate-E1-next').textContent(), /write 1A01 for V1/);
    await stepGate(page, 'E1', 'idle');
    await waitLogContains(page, 'E1 writes 1A01 = V1');
    // One of three spots taken: a ticket issued now pays the surge, and the figure says so.
    assert.match(await byId(page, 'stat-price').textContent(), /^×1\.5 · 33% ≥ 30%/);
    assert.match(await byId(page, 'stat-price').evaluate((el) => el.parentElement.className), /\bsurge\b/);
    // A driver who will lose the ticket and a truck, which fits no spot here.
    await byId(page, 'arrive-lost-ticket').click();
    await waitLogContains(page, 'A car (lost ticket) arrived');
    await byId(page, 'arrive-truck').click();
    await waitLogContains(page, 'V3 (truck) queues at E2');
    await stepGate(page, 'E2', 'idle');
    await waitLogContains(page, 'E2 turns V3 away: no fitting spot');
    assert.match(await byId(page, 'stat-rejected').textContent(), /0 full · 1 no fit/);
    await byId(page, 'arrive-cash').click();
    await waitLogContains(page, 'A car (pays by cash) arrived');
    assert.equal(await page.locator('.invariants.violated').count(), 0);
    assert.equal(await page.locator('.error-banner').count(), 0);
  } finally {
    await finish(opened);
  }
});

test('on a 390×844 phone the parking lab fits the width, in compare mode too; a huge lot is summarised per level', TEST_OPTS, async () => {
  const opened = await open('#/parking', { viewport: PHONE });
  const { page } = opened;
  try {
    await pausedState(page);
    const view = byId(page, 'parking-view');
    const box = await view.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the lot is on screen: ${JSON.stringify(box)}`);
    assert.ok((await page.locator('[data-testid^="spot-"]').count()) >= 240, 'the default lot is drawn spot by spot');
    await assertNoHorizontalScroll(page, PHONE.width, 'parking lab');
    await byId(page, 'compare').click();
    await byId(page, 'compare-metrics').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'parking lab in compare mode');
  } finally {
    await finish(opened);
  }
  const huge = await open(fragment({ levels: 5, rows_per_level: 25, spots_per_row: 80, entry_gates: 8, exit_gates: 8 }, { cursor: 600_000 }), { viewport: PHONE });
  try {
    const state = await pausedState(huge.page);
    assert.equal(state.ms, 600_000);
    assert.equal(await huge.page.locator('.error-banner').count(), 0);
    assert.equal(await huge.page.locator('[data-testid^="spot-"]').count(), 0, 'no square per spot for 10,000 spots');
    assert.equal(await huge.page.locator('.parking-summary').count(), 5, 'a summary per level');
    assert.match(await byId(huge.page, 'stat-occupied').textContent(), /\/10000/);
    await assertNoHorizontalScroll(huge.page, PHONE.width, 'a 10,000-spot lot');
    await screenshot(huge.page, 'parking-huge-390');
  } finally {
    await finish(huge);
  }
});

test('screenshots of the parking lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  // The default lot two hours into a morning, with a stuck sensor and a pre-booking: a busy,
  // reproducible picture.
  const inputs = [
    [3_000_000, { sensor_fault: { spot: '1A06', fault: 'stuck_occupied' } }],
    [6_900_000, { prebook: { vehicle: { kind: 'car' }, arrive_in_min: 30, show: true } }],
  ];
  const busy = fragment({}, { inputs, cursor: 7_200_000 });
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    const lab = await open(busy, { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(state.ms, 7_200_000, 'a link made outside the page opens at its cursor');
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      assert.ok((await lab.page.locator('[data-testid="bill"]').count()) > 0, 'bills are listed');
      await screenshot(lab.page, `parking-${size}`);
      await lab.page.screenshot({ path: await artifact(`parking-${size}-viewport`) });
      if (size === '1280') {
        // Two strategies side by side on the same arrivals.
        await byId(lab.page, 'compare').click();
        await byId(lab.page, 'compare-metrics').waitFor();
        assert.equal(await byId(lab.page, 'compare-field').inputValue(), 'strategy');
        await byId(lab.page, 'compare-value').selectOption('best_fit');
        await lab.page.locator('.stage.side-b [data-testid="parking-view"]').waitFor();
        await screenshot(lab.page, 'parking-compare-1280');
      }
    } finally {
      await finish(lab);
    }
  }
  // The race, mid-way: both gates have read the last spot and are about to write it.
  const race = fragment(LAST_SPOT, {
    inputs: [
      [0, { arrive: { kind: 'car' } }],
      [0, { arrive: { kind: 'car' } }],
      [0, { step_gate: { gate: 'E1' } }],
      [0, { step_gate: { gate: 'E2' } }],
      [0, { step_gate: { gate: 'E1' } }],
      [0, { step_gate: { gate: 'E2' } }],
    ],
  });
  const lab = await open(race, { viewport: DESKTOP });
  try {
    await lab.page.locator('.invariants.violated').waitFor();
    await lab.page.screenshot({ path: await artifact('parking-race-1280-viewport') });
  } finally {
    await finish(lab);
  }
});
