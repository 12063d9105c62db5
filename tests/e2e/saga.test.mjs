// The saga lab end to end in headless Chromium: a declined payment compensated in reverse (drawn
// in the sequence diagram and each saga's state machine), the share link replaying the run, the
// history filters, the history's pages on a long run, a duplicated payment command without
// idempotency charging twice, the phone layout, and screenshots.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took.
// Page helpers shared with the other lab suites are in lab-page.mjs.

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
  openLab,
  pausedState,
  playPast,
  share as shareLink,
  step,
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

/** Opens a path; on the saga page, waits for its controls and its drawing. */
const open = (path, opts = {}) =>
  openLab(ctx.browser, path, { ...opts, ready: ['time', 'saga-stage', 'saga-sequence'] });

const share = (page) => shareLink(page, 'saga');
const fragment = (link) => link.slice(link.indexOf('#'));

/** The states of a saga's machine as drawn: `{ forward: [[name, seen]], undo: [name], status }`. */
async function machine(page, saga) {
  return page.locator(`[data-testid="saga-${saga}"]`).evaluate((li) => ({
    status: li.dataset.status,
    forward: [...li.querySelectorAll('.saga-states.forward .saga-state')].map((s) => [s.dataset.state, s.classList.contains('seen')]),
    undo: [...li.querySelectorAll('[data-testid="saga-undo-chain"] .saga-state')].map((s) => s.dataset.state),
    current: li.querySelector('.saga-state.current')?.dataset.state,
  }));
}

/** The arrows of the sequence diagram, in the order they were sent. */
async function arrows(page) {
  const list = await byId(page, 'saga-sequence').evaluate((svg) =>
    [...svg.querySelectorAll('[data-testid="saga-arrow"]')].map((g) => ({
      msg: Number(g.dataset.msg),
      saga: Number(g.dataset.saga),
      undo: g.dataset.undo === 'true',
      sent: Number(g.dataset.sent),
      delivered: g.dataset.delivered === '' ? null : Number(g.dataset.delivered),
      text: g.querySelector('title')?.textContent ?? '',
    })),
  );
  return list.sort((a, b) => a.sent - b.sent || a.msg - b.msg);
}

test('a declined payment compensates the completed steps in reverse; the share link replays it', TEST_OPTS, async () => {
  const a = await open('#/saga');
  const { page } = a;
  try {
    const start = await pausedState(page);
    assert.equal(start.ms, 0);
    assert.equal(await page.locator('.error-banner').count(), 0);
    await byId(page, 'fault-target').selectOption({ label: 'authorize_payment' });
    await byId(page, 'fault-decline').click();
    await waitLogContains(page, 'You injected decline at authorize_payment');

    // Play until saga 1 has been compensated, then pause.
    await byId(page, 'play').click();
    await page.locator('[data-testid="saga-1"][data-status="compensated"]').waitFor();
    await byId(page, 'play').click();
    const paused = await pausedState(page);

    // Its state machine: the two completed steps, the declined payment, then the undos in reverse.
    const m = await machine(page, 1);
    assert.deepEqual(m.forward, [
      ['create_order', true],
      ['reserve_inventory', true],
      ['authorize_payment', true],
      ['create_shipment', false],
      ['complete_order', false],
      ['completed', false],
    ]);
    assert.deepEqual(m.undo, ['undo reserve_inventory', 'undo create_order', 'compensated']);
    assert.equal(m.current, 'compensated');
    assert.equal(await byId(page, 'saga-compensated').textContent(), '1');

    // The share link carries the fault and reopens the identical run: same fingerprint, same drawing.
    const link = await share(page);
    const { prefix, payload } = decodeLink(link);
    assert.ok(
      payload.inputs.some(([, cmd]) => cmd?.inject?.fault?.step === 'authorize_payment' && cmd.inject.fault.kind === 'decline'),
      JSON.stringify(payload.inputs),
    );
    // Yew may order attributes differently when it patches rather than creates, so compare
    // what is shown: the text of each panel and saga 1's machine.
    const drawn = async (p) => ({
      machines: await byId(p, 'saga-machines').textContent(),
      saga1: await machine(p, 1),
      services: await byId(p, 'saga-services').textContent(),
      invariants: await byId(p, 'saga-invariants').textContent(),
    });
    const b = await open(fragment(link));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.ms, paused.ms, 'the link opens at the same moment');
      assert.equal(other.digest, paused.digest, 'same run fingerprint');
      assert.deepEqual(await drawn(b.page), await drawn(page), 'the same sagas, services and invariants are drawn');
      assert.deepEqual(await arrows(b.page), await arrows(page), 'the same sequence diagram');
    } finally {
      await finish(b);
    }

    // The same run opened at 2.5 s: the whole of saga 1 is in the diagram's three seconds.
    const at = encodeLink(prefix, { ...payload, cursor: 2_500 });
    const c = await open(fragment(at));
    try {
      assert.equal((await pausedState(c.page)).ms, 2_500);
      const saga1 = (await arrows(c.page)).filter((x) => x.saga === 1);
      for (const x of saga1) {
        assert.ok(x.delivered !== null && x.delivered >= x.sent, `delivered after sent: ${JSON.stringify(x)}`);
        assert.match(x.text, /· \d+ ms$/, 'the time on the bus is labelled');
      }
      const undoCommands = saga1.filter((x) => x.undo && /^#\d+ orchestrator → /.test(x.text)).map((x) => x.text);
      assert.equal(undoCommands.length, 2, JSON.stringify(saga1));
      assert.match(undoCommands[0], /orchestrator → inventory: undo reserve_inventory/);
      assert.match(undoCommands[1], /orchestrator → orders: undo create_order/);
      const firstUndo = saga1.find((x) => x.undo);
      assert.ok(
        saga1.filter((x) => !x.undo).every((x) => x.sent <= firstUndo.sent),
        'compensations start after the forward steps',
      );
      assert.equal(
        await c.page.locator('[data-testid="saga-arrow"].undo').count(),
        saga1.filter((x) => x.undo).length,
        'compensations are drawn differently',
      );

      // The history table: filters by saga and kind, and a time range.
      await byId(c.page, 'saga-filter-saga').selectOption('1');
      await byId(c.page, 'saga-filter-kind').selectOption('command');
      const commands = await c.page.locator('[data-testid="saga-history"] tbody tr').evaluateAll((rows) =>
        rows.map((r) => [r.dataset.kind, r.children[1].textContent, r.children[3].textContent]),
      );
      assert.equal(commands.length, 5, JSON.stringify(commands));
      assert.ok(commands.every(([k, s]) => k === 'command' && s === '1'), JSON.stringify(commands));
      assert.match(commands[3][2], /undo reserve_inventory/);
      assert.match(commands[4][2], /undo create_order/);
      await byId(c.page, 'saga-filter-from').fill('1.1');
      await byId(c.page, 'saga-filter-to').fill('1.3');
      await c.page.waitForFunction(
        () => document.querySelectorAll('[data-testid="saga-history"] tbody tr').length < 5,
        null,
        { timeout: WAIT_MS },
      );
      await byId(c.page, 'saga-filter-to').fill('soon');
      await c.page.locator('.saga-filter-error').waitFor();
    } finally {
      await finish(c);
    }
  } finally {
    await finish(a);
  }
});

test('a long history pages back, holds its page while the run goes on, and follows seeks and filters', TEST_OPTS, async () => {
  // Sixty sagas a second apart with random faults, opened at 40 s: several hundred log entries.
  const link = encodeLink(url('#/saga'), {
    v: 1,
    lab: 'saga',
    scenario: { every_ms: 1_000, sagas: 60, chaos_pct: 20 },
    inputs: [],
    cursor: 40_000,
    view: {},
  });
  const opened = await open(fragment(link));
  const { page } = opened;
  try {
    await pausedState(page);
    const table = () =>
      page.evaluate(() => {
        const pager = document.querySelector('[data-testid="saga-history-pager"]');
        const button = (id) => !document.querySelector(`[data-testid="${id}"]`).disabled;
        return {
          entries: [...document.querySelectorAll('[data-testid="saga-history"] tbody tr')].map((r) => Number(r.dataset.entry)),
          times: [...document.querySelectorAll('[data-testid="saga-history"] tbody td.t')].map((td) => td.textContent),
          kinds: [...document.querySelectorAll('[data-testid="saga-history"] tbody tr')].map((r) => r.dataset.kind),
          count: document.querySelector('[data-testid="saga-history-count"]').textContent,
          live: pager.dataset.live === 'true',
          older: button('saga-history-older'),
          newer: button('saga-history-newer'),
        };
      });
    const ms = (text) => {
      const [s, frac] = text.replace('s', '').split('.');
      return Number(s) * 1000 + Number(frac);
    };
    const newest = await table();
    const total = Number(/of (\d+) matching/.exec(newest.count)?.[1]);
    assert.ok(total > 150, `a long history: ${newest.count}`);
    assert.equal(newest.entries.length, 50, 'one page of rows is drawn');
    assert.match(newest.count, new RegExp(`^${total - 49}–${total} of ${total} matching`));
    assert.ok(newest.live && newest.older && !newest.newer, JSON.stringify(newest));
    assert.ok(newest.entries.every((e, i) => i === 0 || e > newest.entries[i - 1]), 'oldest first');
    assert.ok(ms(newest.times.at(-1)) <= 40_000);

    // Older: the page before, ending just before the first row shown.
    await byId(page, 'saga-history-older').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="saga-history-pager"]')?.dataset.live === 'false', null, { timeout: WAIT_MS });
    const older = await table();
    assert.equal(older.entries.length, 50);
    assert.ok(older.entries.at(-1) < newest.entries[0], 'the older page ends before the newest begins');
    assert.match(older.count, new RegExp(`^${total - 99}–${total - 50} of ${total} matching`));
    assert.ok(older.newer && older.older);

    // The run goes on; the older page stays put while the count grows.
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 45_000);
    const held = await table();
    assert.deepEqual(held.entries, older.entries, 'the page is held');
    assert.ok(!held.live);
    const grown = Number(/of (\d+) matching/.exec(held.count)[1]);
    assert.ok(grown > total, `more entries: ${held.count}`);

    // Newest follows the run again.
    await byId(page, 'saga-history-newest').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="saga-history-pager"]')?.dataset.live === 'true', null, { timeout: WAIT_MS });
    const followed = await table();
    assert.ok(followed.entries[0] > newest.entries[0], 'the newest page moved on with the run');
    assert.ok(ms(followed.times.at(-1)) > 40_000);

    // Stepping back cuts the table with the log: the first step goes back to the newest entry's
    // time (which keeps it), the second before it.
    const last = followed.entries.at(-1);
    for (let i = 0; i < 2; i++) {
      const before = await byId(page, 'time').textContent();
      await byId(page, 'step-back').click();
      await page.waitForFunction(
        (before) => document.querySelector('[data-testid="time"]')?.textContent !== before,
        before,
        { timeout: WAIT_MS },
      );
    }
    await page.waitForFunction(
      (last) => {
        const rows = [...document.querySelectorAll('[data-testid="saga-history"] tbody tr')];
        return rows.length > 0 && Number(rows.at(-1).dataset.entry) < last;
      },
      last,
      { timeout: WAIT_MS },
    );

    // A filter (from an older page) shows the newest matching rows; a time range zooms in.
    await byId(page, 'saga-history-older').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="saga-history-pager"]')?.dataset.live === 'false', null, { timeout: WAIT_MS });
    await byId(page, 'saga-filter-kind').selectOption('command');
    await page.waitForFunction(() => document.querySelector('[data-testid="saga-history-pager"]')?.dataset.live === 'true', null, { timeout: WAIT_MS });
    const commands = await table();
    assert.ok(commands.kinds.length > 0 && commands.kinds.every((k) => k === 'command'), JSON.stringify(commands.kinds));
    await byId(page, 'saga-filter-from').fill('10');
    await byId(page, 'saga-filter-to').fill('12.5');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="saga-history"] tbody td.t')].every((td) => parseFloat(td.textContent) >= 10 && parseFloat(td.textContent) <= 12.5),
      null,
      { timeout: WAIT_MS },
    );
    const zoomed = await table();
    assert.ok(zoomed.entries.length > 0 && zoomed.entries.length < 50, JSON.stringify(zoomed));
    assert.ok(zoomed.times.every((t) => ms(t) >= 10_000 && ms(t) <= 12_500), JSON.stringify(zoomed.times));
    assert.ok(zoomed.kinds.every((k) => k === 'command'));
    assert.ok(!zoomed.older && !zoomed.newer, 'one page holds the zoomed range');
    await screenshot(page, 'saga-history-1280');
  } finally {
    await finish(opened);
  }
});

test('without idempotent consumers a duplicated payment command charges twice', TEST_OPTS, async () => {
  const opened = await open('#/saga');
  const { page } = opened;
  try {
    await pausedState(page);
    const toggle = byId(page, 'saga-idempotency');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    await waitLogContains(page, 'You turned idempotent consumers off');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="saga-idempotency"]')?.getAttribute('aria-pressed') === 'false',
      null,
      { timeout: WAIT_MS },
    );
    // Step until inventory has replied to saga 1's reservation: the next message published is
    // the orchestrator's payment command.
    const replied = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('[data-testid="log"] .log-row')].some((r) =>
          r.textContent.includes('reserve_inventory: done (saga 1)'),
        ),
      );
    for (let i = 0; i < 40 && !(await replied()); i++) await step(page);
    assert.ok(await replied(), 'inventory replied');
    await byId(page, 'fault-duplicate-next').click();
    await waitLogContains(page, 'You duplicated the next message');
    await byId(page, 'play').click();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="saga-invariants"] li.bad')].some((li) =>
          li.textContent.includes('nobody charged twice'),
        ),
      null,
      { timeout: WAIT_MS },
    );
    await byId(page, 'play').click();
    await pausedState(page);
    assert.match(await byId(page, 'saga-violation').textContent(), /nobody charged twice: authorize_payment applied 2 times for saga 1/);
    assert.equal(await byId(page, 'saga-absorbed').textContent(), '0', 'nothing was absorbed');
    await screenshot(page, 'saga-double-charge-1280');
  } finally {
    await finish(opened);
  }
});

test('the flow editor explains a bad flow and runs a good one as a new run', TEST_OPTS, async () => {
  const opened = await open('#/saga');
  const { page } = opened;
  try {
    await pausedState(page);
    await byId(page, 'saga-editor').locator('summary').click();
    const steps = byId(page, 'saga-editor-step');
    assert.equal(await steps.count(), 5, 'the order flow has five steps');
    // A pivot first, then compensatable steps: the core refuses it, and says why.
    await steps.nth(0).locator('[data-testid="saga-editor-kind"]').selectOption('pivot');
    await byId(page, 'saga-editor-run').click();
    assert.match(await byId(page, 'saga-editor-error').textContent(), /cannot follow the pivot/);
    assert.equal((await byId(page, 'saga-flow').textContent()).trim(), 'order', 'the run is unchanged');
    // Back to compensatable, without the shipment: four steps, a new run of a custom flow.
    await steps.nth(0).locator('[data-testid="saga-editor-kind"]').selectOption('compensatable');
    await steps.nth(3).getByRole('button', { name: 'remove step' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="saga-editor-step"]').length === 4, null, { timeout: WAIT_MS });
    await byId(page, 'saga-editor-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="saga-flow"]')?.textContent.trim() === 'custom', null, { timeout: WAIT_MS });
    assert.match(page.url(), /#\/saga\?s=\d+\./, 'the new run is a share link');
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 2_000);
    await page.locator('[data-testid="saga-1"][data-status="completed"]').waitFor();
    const m = await machine(page, 1);
    assert.deepEqual(m.forward.map(([s]) => s), ['create_order', 'reserve_inventory', 'authorize_payment', 'complete_order', 'completed']);
  } finally {
    await finish(opened);
  }
});

test('the mode switch starts a choreography run; the bus has its own lane and a delay fault', TEST_OPTS, async () => {
  const opened = await open('#/saga');
  const { page } = opened;
  try {
    await pausedState(page);
    const lanes = () => byId(page, 'saga-sequence').evaluate((svg) => [...svg.querySelectorAll('[data-testid="saga-lane"]')].map((g) => g.dataset.node));
    assert.deepEqual(await lanes(), ['orchestrator', 'orders', 'inventory', 'payment', 'bus']);
    await byId(page, 'saga-mode-select').selectOption('choreography');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="saga-lane"]')?.dataset.node === 'client',
      null,
      { timeout: WAIT_MS },
    );
    assert.equal(await byId(page, 'saga-mode-select').inputValue(), 'choreography');
    const delay = byId(page, 'fault-bus-delay');
    await delay.click();
    await waitLogContains(page, 'You set the bus\'s delay to 500 ms');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="fault-bus-delay"]')?.getAttribute('aria-pressed') === 'true',
      null,
      { timeout: WAIT_MS },
    );
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 2_000);
    const slow = await byId(page, 'saga-sequence').evaluate((svg) =>
      [...svg.querySelectorAll('[data-testid="saga-arrow"]')]
        .filter((g) => g.dataset.delivered !== '')
        .map((g) => Number(g.dataset.delivered) - Number(g.dataset.sent)),
    );
    assert.ok(slow.length > 0 && slow.every((d) => d >= 500), `every delivery takes 500 ms or more: ${slow}`);
  } finally {
    await finish(opened);
  }
});

test('on a 390×844 phone the saga lab fits the width', TEST_OPTS, async () => {
  const opened = await open('#/saga', { viewport: PHONE });
  const { page } = opened;
  try {
    const box = await byId(page, 'saga-stage').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the lab is on screen: ${JSON.stringify(box)}`);
    await assertNoHorizontalScroll(page, PHONE.width, 'saga lab');
    await byId(page, 'speed').selectOption(SPEED_10X);
    await byId(page, 'fault-target').selectOption({ label: 'authorize_payment' });
    await byId(page, 'fault-decline').click();
    await playPast(page, 3_000);
    await byId(page, 'saga-1').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'saga lab after playing');
  } finally {
    await finish(opened);
  }
});

test('screenshots of the saga lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  // A link made here: a saga every 2.5 s, a declined payment for the first (compensated in the
  // diagram), a lost reply for the second, a lossy bus, opened at 4.4 s: a busy and
  // reproducible picture.
  const inject = (step, kind) => ({ inject: { fault: { step, kind } } });
  const inputs = [
    [0, inject('authorize_payment', 'decline')],
    [2_000, inject('reserve_inventory', 'lose_reply')],
    [3_000, { bus: { drop_pct: 20 } }],
  ];
  const link = encodeLink(url('#/saga'), { v: 1, lab: 'saga', scenario: { every_ms: 2_500 }, inputs, cursor: 4_400, view: {} });
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    const lab = await open(fragment(link), { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(state.ms, 4_400, 'a link made outside the page opens at its cursor');
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      await byId(lab.page, 'saga-1').waitFor();
      await assertNoHorizontalScroll(lab.page, viewport.width, `saga lab at ${size}`);
      await screenshot(lab.page, `saga-${size}`);
      await lab.page.screenshot({ path: await artifact(`saga-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
});
