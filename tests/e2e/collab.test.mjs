// The collaborative editing lab end to end in headless Chromium: two people type into two
// clients' editors at the same time and both engines converge; a share link replays the run;
// messages are delivered by hand; the phone layout fits; screenshots. Live: two tabs of one
// browser edit one text over BroadcastChannel, and a third tab opened later catches up.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took.
// Page helpers shared with the other lab suites are in lab-page.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoErrors, screenshot, url, useBrowser, waitForAppStart } from './helpers.mjs';
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
    // The causal graph: each client's run of typing is a node (the shown replica is c0's).
    assert.ok((await byId(page, 'graph-node').count()) >= 2, 'a node per run of typing');
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

/** Where client `viewer`'s CRDT editor draws client `peer`'s caret (`data-pos`), or null. */
const caretPos = (page, viewer, peer) =>
  page.evaluate(
    ([v, p]) => document.querySelector(`[data-testid="crdt-caret-${v}-${p}"]`)?.dataset.pos ?? null,
    [viewer, peer],
  );

/** Waits until client `viewer`'s CRDT editor draws client `peer`'s caret at `pos`. */
async function waitCaret(page, viewer, peer, pos) {
  await page.waitForFunction(
    ([v, p, want]) => document.querySelector(`[data-testid="crdt-caret-${v}-${p}"]`)?.dataset.pos === want,
    [viewer, peer, String(pos)],
    { timeout: WAIT_MS },
  );
}

/** Puts client `c`'s selection at `start..end` in its editor, as a person's mouse would. */
async function selectIn(page, c, start, end) {
  await byId(page, `editor-${c}`).evaluate(
    (el, [s, e]) => {
      el.focus();
      el.setSelectionRange(s, e, 'forward');
      el.dispatchEvent(new Event('select'));
    },
    [start, end],
  );
}

test('CRDT presence: a caret moved in one editor shows in the other, on the same character, and moves with edits', TEST_OPTS, async () => {
  const scenario = {
    typists: 0,
    clients: 2,
    auto_deliver: false,
    latency: 'fixed',
    latency_ms: 100,
    duplicate_permille: 0,
    crdt_presence: true,
  };
  const inputs = [
    [0, { type: { client: 0, text: 'hello world' } }],
    [0, 'deliver_all'],
  ];
  const opened = await open(fragment(linkTo(scenario, inputs, 100)));
  const { page } = opened;
  const deliverAll = async () => {
    await page.getByRole('button', { name: 'Deliver all' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="message"]').length === 0, null, {
      timeout: WAIT_MS,
    });
  };
  try {
    await pausedState(page);
    // c1 shows c0's caret where c0 typed the last character.
    await waitCaret(page, 1, 0, 11);
    // c0 puts its caret before "world"; once the messages are delivered, c1 draws it there.
    await selectIn(page, 0, 6, 6);
    await waitLogContains(page, 'c0 moved the caret to 6');
    assert.equal(await caretPos(page, 1, 0), '11', 'nothing moves before delivery');
    await deliverAll();
    await waitCaret(page, 1, 0, 6);
    const c1 = await byId(page, 'editor-1').inputValue();
    assert.equal(c1.slice(0, 6), 'hello ', 'the same character: before "world"');
    // The caret is drawn in the text: on the line, between "hello " and "world".
    const box = await byId(page, 'crdt-caret-1-0').boundingBox();
    const editor = await byId(page, 'editor-1').boundingBox();
    assert.ok(box && editor && box.x > editor.x && box.x < editor.x + editor.width, JSON.stringify({ box, editor }));

    // c1 types at the start: in c1's editor c0's caret moves with its character at once.
    await selectIn(page, 1, 0, 0);
    for (const ch of '>> ') {
      // Key by key: each keystroke is a command, and the editor is redrawn from the run.
      const before = await byId(page, 'editor-1').inputValue();
      await page.keyboard.type(ch);
      await page.waitForFunction(
        (prev) => document.querySelector('[data-testid="editor-1"]')?.value !== prev,
        before,
        { timeout: WAIT_MS },
      );
    }
    assert.equal(await byId(page, 'editor-1').inputValue(), '>> hello world');
    await waitCaret(page, 1, 0, 9);
    await deliverAll();
    // c0 receives the insert: its own caret and c1's view of it agree, and c0 shows c1's caret.
    await page.waitForFunction(() => document.querySelector('[data-testid="editor-0"]')?.value === '>> hello world', null, {
      timeout: WAIT_MS,
    });
    await waitCaret(page, 0, 1, 3);
    assert.equal(await caretPos(page, 1, 0), '9');
    assert.match(await byId(page, 'presence-1-0').textContent(), /crdt 9 · ot 9/);

    // A selection: c0 selects "hello"; c1 highlights the same characters in c0's colour.
    await selectIn(page, 0, 3, 8);
    await waitLogContains(page, 'c0 selected 3..8');
    await deliverAll();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="client-1"] .collab-mirror .collab-sel')?.textContent === 'hello',
      null,
      { timeout: WAIT_MS },
    );
    assert.match(await byId(page, 'presence-1-0').textContent(), /crdt 3\.\.8/);

    // c0 types "!" at the end; only its presence is delivered: it names a character c1 has
    // not received, so c1 keeps drawing the last one, marked pending.
    await selectIn(page, 0, 14, 14);
    await waitLogContains(page, 'c0 moved the caret to 14');
    await deliverAll();
    await selectIn(page, 0, 14, 14); // (focus c0's editor again: the button took it)
    await page.keyboard.type('!');
    await waitLogContains(page, 'c0 typed "!"');
    await page.locator('.collab-links .chip[title*="c0\'s caret #"]').first().click();
    await waitLogContains(page, 'You delivered message #');
    await page.locator('[data-testid="crdt-caret-1-0"].pending').waitFor({ state: 'attached' }); // (a caret has no width)
    assert.match(await byId(page, 'presence-1-0').textContent(), /crdt 14 \(#\d+ pending: needs 0@\d+\)/);
    await screenshot(page, 'collab-presence-1280');
    await page.locator('.collab-clients').screenshot({ path: await artifact('collab-presence-editors') });
    await deliverAll();
    await waitCaret(page, 1, 0, 15);
    assert.equal(await page.locator('[data-testid="crdt-caret-1-0"].pending').count(), 0);
    assert.equal(await page.locator('.invariant-violation, .violation').count(), 0);
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
  const link = linkTo({ crdt_presence: true }, inputs, 12_000);
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
      await lab.page.locator('.collab-clients').screenshot({ path: await artifact(`collab-${size}-editors`) });
    } finally {
      await finish(lab);
    }
  }
});

/** Opens `path` in another tab of the same browser context as `opened` (so BroadcastChannel joins them). */
async function openTab(opened, path) {
  const page = await opened.context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  await page.addInitScript(() => {
    window.__orreryStarted = false;
    window.addEventListener('OrreryStarted', () => {
      window.__orreryStarted = true;
    });
  });
  await page.goto(url(path), { waitUntil: 'load' });
  await waitForAppStart(page, errors);
  await byId(page, 'live-editor').waitFor();
  return { page, errors };
}

/** Waits until the live status of `page` matches `re`. */
async function liveStatus(page, re) {
  await page.waitForFunction(
    (src) => new RegExp(src).test(document.querySelector('[data-testid="live-status"]')?.textContent ?? ''),
    re.source,
    { timeout: WAIT_MS },
  );
}

const liveText = (page) => byId(page, 'live-editor').inputValue();

/** Waits until every page's live text is the same and `ok(text)` holds; returns the text. */
async function liveConverged(pages, ok) {
  let texts = [];
  for (let round = 0; ; round++) {
    texts = await Promise.all(pages.map(liveText));
    if (texts.every((t) => t === texts[0]) && ok(texts[0])) return texts[0];
    // Wait for any page's text to change before looking again.
    await Promise.race(
      pages.map((p, i) =>
        p.waitForFunction(
          (prev) => document.querySelector('[data-testid="live-editor"]')?.value !== prev,
          texts[i],
          { timeout: WAIT_MS },
        ),
      ),
    );
    assert.ok(round < 1000, `the tabs never converged: ${JSON.stringify(texts)}`);
  }
}

test('two tabs edit one text live over BroadcastChannel, and a third tab catches up', TEST_OPTS, async () => {
  const a = await open('#/collab');
  const b = await openTab(a, '#/collab');
  try {
    await liveStatus(a.page, /in sync with 1 other tab/);
    await liveStatus(b.page, /in sync with 1 other tab/);
    // Both type at once, key by key.
    await byId(a.page, 'live-editor').click();
    await byId(b.page, 'live-editor').click();
    await Promise.all([
      byId(a.page, 'live-editor').pressSequentially('alpha one '),
      byId(b.page, 'live-editor').pressSequentially('beta two '),
    ]);
    const typed = await liveConverged([a.page, b.page], (t) => t.length === 19);
    assert.deepEqual([...typed].sort(), [...'alpha one beta two '].sort(), typed);
    // Each tab's run of keystrokes stays whole (FugueMax does not interleave them).
    assert.ok(typed.includes('alpha one') && typed.includes('beta two'), typed);
    await liveStatus(a.page, /in sync with 1 other tab ✓/);
    assert.match(await byId(a.page, 'live-chars').textContent(), /^19 chars$/);

    // a's caret sits after the second character; b types at the start: a's caret moves
    // with its characters.
    await byId(a.page, 'live-editor').evaluate((el) => {
      el.focus();
      el.setSelectionRange(2, 2);
      el.dispatchEvent(new Event('select'));
    });
    await byId(b.page, 'live-editor').evaluate((el) => el.focus());
    await b.page.keyboard.press('Control+Home');
    await b.page.keyboard.type('>> ');
    await liveConverged([a.page, b.page], (t) => t.startsWith('>> ') && t.length === 22);
    const caret = await byId(a.page, 'live-editor').evaluate((el) => [el.selectionStart, el.selectionEnd]);
    assert.deepEqual(caret, [5, 5], 'a\'s caret stays after the same two characters');
    // b sees a's caret there (an anchor on a character id).
    await b.page.waitForFunction(
      () => /caret at 5/.test(document.querySelector('[data-testid="live-peers"]')?.textContent ?? ''),
      null,
      { timeout: WAIT_MS },
    );

    // A third tab, opened later, receives the whole history.
    const c = await openTab(a, '#/collab');
    try {
      const all = await liveConverged([a.page, b.page, c.page], (t) => t.length === 22);
      assert.equal(all, await liveText(a.page));
      await liveStatus(c.page, /in sync with 2 other tabs ✓/);
      await liveStatus(a.page, /in sync with 2 other tabs ✓/);
      // It edits too.
      await byId(c.page, 'live-editor').click();
      await c.page.keyboard.press('Control+End');
      await c.page.keyboard.type('!');
      await liveConverged([a.page, b.page, c.page], (t) => t.endsWith('!') && t.length === 23);
      await screenshot(a.page, 'collab-live-1280');
      await c.page.setViewportSize(PHONE);
      await assertNoHorizontalScroll(c.page, PHONE.width, 'collab lab with a live session');
      await byId(c.page, 'live').scrollIntoViewIfNeeded();
      await c.page.screenshot({ path: await artifact('collab-live-390-viewport') });
    } finally {
      assertNoErrors(c.errors);
      await c.page.close({ runBeforeUnload: true });
    }
    // Tabs that close say goodbye.
    await liveStatus(a.page, /in sync with 1 other tab ✓/);
    await b.page.close({ runBeforeUnload: true });
    assertNoErrors(b.errors);
    await liveStatus(a.page, /alone/);
  } finally {
    await finish(a);
  }
});

test('trace typists replay a real editing trace as live typing', TEST_OPTS, async () => {
  const scenario = { clients: 2, typists: 1, typist_kind: 'trace', typing_cps: 50, pause_ms: 0, latency: 'fixed' };
  const opened = await open(fragment(linkTo(scenario)));
  const { page } = opened;
  try {
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 3_000);
    // Martin Kleppmann typing the Automerge paper: its LaTeX preamble, in both clients.
    const shown = await texts(page);
    assert.match(shown[0].crdt, /^\\documentclass\[a4paper/, JSON.stringify(shown));
  } finally {
    await finish(opened);
  }
});
