// The collaborative editing lab end to end in headless Chromium: two people type into two
// clients' editors at the same time and both engines converge; a share link replays the run;
// messages are delivered by hand; the phone layout fits; screenshots.
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
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

const open = (path, opts = {}) => openLab(ctx.browser, path, { ...opts, ready: ['time', 'client-0'] });

/** A link to the lab with this scenario (over the defaults), inputs and cursor. */
const linkTo = (scenario, inputs = [], cursor = 0) =>
  encodeLink(url('#/collab'), { v: 1, lab: 'collab', scenario, inputs, cursor, view: {} });
const fragment = (l) => l.slice(l.indexOf('#'));

/** Every client's CRDT text (its editor) and OT text, as shown. */
async function texts(page) {
  return page.evaluate(() => {
    const out = [];
    for (let c = 0; ; c++) {
      const editor = document.querySelector(`[data-testid="editor-${c}"]`);
      if (!editor) return out;
      const ot = document.querySelector(`[data-testid="ot-${c}"]`)?.textContent ?? '';
      out.push({ crdt: editor.value, ot: ot.replace(/^ot/, '').replace('|', '') });
    }
  });
}

/** Types `text` key by key into client `c`'s editor, after clicking at its end. */
async function typeInto(page, c, text) {
  const editor = byId(page, `editor-${c}`);
  await editor.click();
  await page.keyboard.press('End');
  for (const ch of text) {
    const before = await editor.inputValue();
    await page.keyboard.type(ch);
    await page.waitForFunction(
      ([id, prev]) => document.querySelector(`[data-testid="${id}"]`)?.value !== prev,
      [`editor-${c}`, before],
      { timeout: WAIT_MS },
    );
  }
}

test('two clients typing at the same time converge in both engines, and the link replays it', TEST_OPTS, async () => {
  const quiet = { typists: 0, clients: 2, latency: 'fixed', latency_ms: 300, duplicate_permille: 0 };
  const a = await open(fragment(linkTo(quiet)));
  const { page } = a;
  try {
    const start = await pausedState(page);
    assert.equal(start.ms, 0);
    // Both type while the clock stands still: neither has seen the other's edits.
    await typeInto(page, 0, 'abc');
    await typeInto(page, 1, 'xyz');
    await waitLogContains(page, 'c1 typed "z"');
    const before = await texts(page);
    assert.equal(before[0].crdt, 'abc');
    assert.equal(before[1].crdt, 'xyz');
    assert.ok((await byId(page, 'message').count()) > 0, 'messages are in flight');

    await byId(page, 'speed').selectOption(SPEED_10X);
    const played = await playPast(page, 5_000);
    const after = await texts(page);
    for (const t of after) {
      assert.equal(t.crdt.length, 6, JSON.stringify(after));
      assert.equal(t.crdt, after[0].crdt, `every CRDT replica is equal: ${JSON.stringify(after)}`);
      assert.equal(t.ot, after[0].ot, `every OT replica is equal: ${JSON.stringify(after)}`);
    }
    assert.deepEqual([...after[0].crdt].sort(), [...'abcxyz'].sort());
    assert.equal(await byId(page, 'message').count(), 0, 'nothing left in flight');
    assert.match(await byId(page, 'agreement').textContent(), /engines (agree|differ)/);
    assert.equal(await page.locator('.invariant-violation, .violation').count(), 0);

    const link = await shareLink(page, 'collab');
    const { payload } = decodeLink(link);
    assert.equal(payload.cursor, played.ms);
    assert.ok(payload.inputs.some(([, cmd]) => cmd?.type?.client === 1), 'the link carries the typing');
    const b = await open(fragment(link));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, played.time, 'same time');
      assert.equal(other.digest, played.digest, 'same run fingerprint');
      assert.deepEqual(await texts(b.page), after, 'same texts everywhere');
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }
});

test('by hand: with automatic delivery off, clicking a message delivers it', TEST_OPTS, async () => {
  const manual = { typists: 0, clients: 3, auto_deliver: false, duplicate_permille: 0 };
  const inputs = [[0, { type: { client: 0, text: 'hi' } }]];
  const opened = await open(fragment(linkTo(manual, inputs, 100)));
  const { page } = opened;
  try {
    await pausedState(page);
    const count = await byId(page, 'message').count();
    assert.equal(count, 3, 'two CRDT peers and the server');
    await byId(page, 'message').first().click();
    await waitLogContains(page, 'You delivered message #');
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="message"]').length !== n,
      count,
      { timeout: WAIT_MS },
    );
    // (Delivering everything logs many events after the command: wait on the picture.)
    await page.getByRole('button', { name: 'Deliver all' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="message"]').length === 0, null, {
      timeout: WAIT_MS,
    });
    const all = await texts(page);
    assert.ok(all.every((t) => t.crdt === 'hi' && t.ot === 'hi'), JSON.stringify(all));
    // Offline: an edit stays with its client until it is back.
    await page.locator('[data-testid="client-2"] button', { hasText: 'offline' }).click();
    await waitLogContains(page, 'You took c2 offline');
    await byId(page, 'editor-2').click();
    await page.keyboard.press('End');
    await page.keyboard.type('!');
    await page.waitForFunction(() => document.querySelector('[data-testid="editor-2"]')?.value === 'hi!', null, {
      timeout: WAIT_MS,
    });
    // Its messages wait on cut links, drawn grey.
    await page.locator('[data-testid="message"].blocked').first().waitFor();
    assert.equal(await byId(page, 'editor-0').inputValue(), 'hi');
  } finally {
    await finish(opened);
  }
});

test('on a 390×844 phone the collab lab fits the width', TEST_OPTS, async () => {
  const opened = await open('#/collab', { viewport: PHONE });
  const { page } = opened;
  try {
    await assertNoHorizontalScroll(page, PHONE.width, 'collab lab');
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 8_000);
    await assertNoHorizontalScroll(page, PHONE.width, 'collab lab after playing');
  } finally {
    await finish(opened);
  }
});

test('screenshots of the collab lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  // Three clients, two typists, c2 typing by hand and cut off, automatic delivery off for the
  // last seconds so that messages wait on the links: a busy and reproducible picture.
  const inputs = [
    [500, { type: { client: 2, text: 'Hello from c2' } }],
    [9_000, { partition: { groups: [[2]] } }],
    [11_000, { auto: { on: false } }],
  ];
  const link = linkTo({}, inputs, 12_000);
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    const lab = await open(fragment(link), { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(state.ms, 12_000);
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      await screenshot(lab.page, `collab-${size}`);
      await lab.page.screenshot({ path: await artifact(`collab-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
});
