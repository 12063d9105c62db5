// The cache lab end to end in headless Chromium: play a workload, read the hit ratio, switch the
// policy live, request a key, share link replayed in a new page, corrupted links, the phone layout,
// miss-ratio curves from a trace file chosen from disk, and screenshots.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took.
// Simulated times are compared as integers of milliseconds read from the `12.345s` time display.
// Page helpers shared with the other lab suites are in lab-page.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  parseTime,
  pausedState,
  playPast,
  share as shareLink,
  step,
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

// ---------------------------------------------------------------------------------------------
// Page helpers

/** Opens a path; on the cache page, waits for its controls and its drawing. */
const open = (path, opts = {}) =>
  openLab(ctx.browser, path, { ...opts, ready: path.includes('cache') ? ['time', 'cache-view'] : [] });

const share = (page) => shareLink(page, 'cache');

/** A counter of the metrics panel, by its metric name, once it is shown. */
async function counter(page, name) {
  const dd = page.locator(`.counter[data-metric="${name}"] dd`);
  await dd.waitFor();
  return Number((await dd.textContent()).replace(/[^0-9]/g, ''));
}

// ---------------------------------------------------------------------------------------------

test('play a workload, switch the policy live, request a key, and the share link replays the run', TEST_OPTS, async () => {
  const a = await open('#/cache');
  const { page } = a;
  try {
    const start = await pausedState(page);
    assert.equal(start.ms, 0);
    assert.equal(await page.locator('.error-banner').count(), 0);
    await byId(page, 'origin').waitFor();
    assert.ok((await page.locator('[data-testid^="cache-segment-"]').count()) >= 1, 'the policy draws its lists');

    await byId(page, 'speed').selectOption(SPEED_10X);
    const played = await playPast(page, 5_000);
    assert.ok(played.ms > 5_000);
    assert.notEqual(played.digest, start.digest);

    // Requests were served: the picture, its headline and the metrics panel say so.
    const requests = Number(await byId(page, 'requests').textContent());
    assert.ok(requests > 0, `requests served: ${requests}`);
    assert.match(await byId(page, 'hit-ratio').textContent(), /^\d+\.\d%$/);
    assert.ok((await counter(page, 'requests')) > 0, 'the metrics panel counts requests');
    const chips = byId(page, 'request-chip');
    assert.ok((await chips.count()) > 0, 'the request stream shows chips');
    assert.match(await chips.last().getAttribute('class'), /\b(hit|miss|coalesced|failed)\b/);

    // Switch the policy while paused: recorded, narrated, and the cache redraws as that policy.
    const policy = byId(page, 'policy');
    const current = await policy.inputValue();
    const next = current === 'arc' ? 'lru' : 'arc';
    const label = next.toUpperCase();
    const beforeSwitch = await pausedState(page);
    await policy.selectOption(next);
    await waitLogContains(page, `You switched the policy to ${label}`);
    const switched = await pausedState(page);
    assert.equal(switched.ms, beforeSwitch.ms, 'switching does not move the clock');
    assert.notEqual(switched.digest, beforeSwitch.digest, 'the switch is in the log');
    await step(page);
    await page.waitForFunction(
      (want) => document.querySelector('[data-testid="policy"]')?.value === want,
      next,
      { timeout: WAIT_MS },
    );

    // Request one key by hand.
    await byId(page, 'get-key').fill('7');
    await byId(page, 'get-submit').click();
    await waitLogContains(page, 'You requested key 7');

    let state = await pausedState(page);
    for (let i = 0; i < 3; i++) state = await step(page);

    const link = await share(page);
    const { payload } = decodeLink(link);
    assert.equal(payload.lab, 'cache');
    assert.equal(payload.cursor, state.ms, 'the link carries the current time');
    assert.ok(payload.inputs.some(([, cmd]) => cmd?.set_policy?.policy === next), 'the link carries the switch');
    assert.ok(payload.inputs.some(([, cmd]) => cmd?.get?.key === 7), 'the link carries the request');

    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, state.time, 'same time');
      assert.equal(other.digest, state.digest, 'same run fingerprint');
      assert.equal(await b.page.locator('.error-banner').count(), 0);
      assert.equal(await byId(b.page, 'policy').inputValue(), next, 'same policy');
      assert.equal(await byId(b.page, 'requests').textContent(), await byId(page, 'requests').textContent());
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

test('faults: flush, a scan burst and the origin going down are narrated and drawn', TEST_OPTS, async () => {
  const opened = await open('#/cache');
  const { page } = opened;
  try {
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 2_000);
    await byId(page, 'fault-flush').click();
    await waitLogContains(page, 'You flushed the cache');
    await byId(page, 'fault-burst').click();
    await waitLogContains(page, 'You sent a scan of 200 new keys');
    const down = byId(page, 'fault-origin-down');
    await down.click();
    await waitLogContains(page, 'You took the origin down');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="fault-origin-down"]')?.getAttribute('aria-pressed') === 'true' &&
        document.querySelector('[data-testid="origin"]')?.classList.contains('down'),
      null,
      { timeout: WAIT_MS },
    );
    // With the origin down, misses fail.
    await playPast(page, 4_000);
    await page.locator('[data-testid="request-chip"].failed').first().waitFor();
    await down.click();
    await waitLogContains(page, 'You brought the origin back up');
  } finally {
    await finish(opened);
  }
});

test('corrupted links show an error banner over the default scenario, which still plays', TEST_OPTS, async () => {
  let link;
  {
    const opened = await open('#/cache');
    try {
      for (let i = 0; i < 6; i++) await step(opened.page);
      link = await share(opened.page);
    } finally {
      await finish(opened);
    }
  }
  const { prefix, version, body, payload } = decodeLink(link);
  const fragment = (l) => l.slice(l.indexOf('#'));
  const cases = [
    ['truncated payload', `${prefix}?s=${version}.${body.slice(0, Math.floor(body.length / 2))}`, /damaged or truncated/],
    ['letters flipped', `${prefix}?s=${version}.${flipCase(body, 8, 24)}`, /damaged or truncated/],
    ['unknown version', `${prefix}?s=9.${body}`, /unknown version/],
    ['unknown policy', encodeLink(prefix, { ...payload, scenario: { ...payload.scenario, policy: 'nope' } }), /cannot be set up|policy/],
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
      const start = await pausedState(page);
      assert.equal(start.ms, 0, `${name}: the default scenario starts at 0`);
      const played = await playPast(page, 500);
      assert.ok(played.ms > 500, `${name}: the default scenario plays`);
    } finally {
      await finish(opened);
    }
  }
});

test('on a 390×844 phone the cache lab fits the width', TEST_OPTS, async () => {
  const opened = await open('#/cache', { viewport: PHONE });
  const { page } = opened;
  try {
    const view = byId(page, 'cache-view');
    const box = await view.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the cache is on screen: ${JSON.stringify(box)}`);
    await assertNoHorizontalScroll(page, PHONE.width, 'cache lab');
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 5_000);
    await byId(page, 'fault-burst').click();
    await step(page);
    await assertNoHorizontalScroll(page, PHONE.width, 'cache lab after playing');
    await byId(page, 'compare').click();
    await byId(page, 'compare-metrics').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'cache lab in compare mode');
  } finally {
    await finish(opened);
  }
});

test('screenshots of the cache lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  // A link made here: the default scenario under ARC (whose ghost lists show) at 30 s, with the
  // skew lowered at 10 s so p adapts: a busy and reproducible picture.
  const inputs = [[10_000, { set_skew: { skew_milli: 700 } }]];
  const link = encodeLink(url('#/cache'), { v: 1, lab: 'cache', scenario: { policy: 'arc' }, inputs, cursor: 30_000, view: {} });
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    const lab = await open(link.slice(link.indexOf('#')), { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(state.ms, 30_000, 'a link made outside the page opens at its cursor');
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      await byId(lab.page, 'cache-segment-B1').waitFor();
      await screenshot(lab.page, `cache-${size}`);
      await lab.page.screenshot({ path: await artifact(`cache-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
  const home = await open('#/', { reducedMotion: 'reduce' });
  try {
    await home.page.locator('[data-testid="lab-card-cache"] svg').waitFor({ state: 'visible' });
    await home.page.screenshot({ path: await artifact('home-cache-1280-viewport') });
  } finally {
    await finish(home);
  }
});

/**
 * A one-key-per-line trace written for the test: a loop over 300 keys (which LRU at any smaller
 * capacity never hits) interleaved with a skewed pick from 2,000 keys by a fixed LCG.
 */
function linesTrace(requests = 6_000) {
  let x = 12345;
  const keys = [];
  for (let i = 0; i < requests; i++) {
    if (i % 2 === 0) {
      keys.push(i % 300);
    } else {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const u = x / 2 ** 31;
      keys.push(1_000 + Math.floor(2_000 * u * u * u));
    }
  }
  return `${keys.join('\n')}\n`;
}

/** Reads each curve's points from the chart: `{ policy: [[capacity, hitBp], ...] }`. */
async function readCurves(page) {
  return page.locator('[data-testid="mrc-chart"]').evaluate((svg) => {
    const out = {};
    for (const g of svg.querySelectorAll('g[data-policy]')) {
      out[g.dataset.policy] = [...g.querySelectorAll('circle')].map((c) => [Number(c.dataset.capacity), Number(c.dataset.hitBp)]);
    }
    return out;
  });
}

test('miss-ratio curves: a trace file from disk, LRU under OPT at every point, a garbage file shows an error', TEST_OPTS, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'orrery-mrc-'));
  const opened = await open('#/cache');
  const { page } = opened;
  try {
    const trace = join(dir, 'mixed.txt');
    await writeFile(trace, linesTrace());
    // An ARC `.lis` trace (start, count, ignored, reqno) whose third line is not one.
    const garbage = join(dir, 'garbage.lis');
    await writeFile(garbage, '1 1 0 0\n5 2 0 1\nthree blocks please\n');

    assert.equal(await byId(page, 'mrc-run').isVisible(), false, 'the panel starts closed');
    await byId(page, 'mrc-open').click();
    await byId(page, 'mrc-file').setInputFiles(trace);
    await byId(page, 'mrc-file-name').waitFor();
    assert.equal(await byId(page, 'mrc-format').inputValue(), 'lines', 'a .txt file is read one key per line');
    for (const p of ['lru', 'fifo', 'clock', 'lfu', '2q', 'arc', 'sieve', 'lirs', 's3fifo', 'wtinylfu', 'opt']) {
      const box = byId(page, `mrc-policy-${p}`);
      if ((await box.isChecked()) !== (p === 'lru' || p === 'opt')) await box.click();
    }
    await byId(page, 'mrc-max').fill('1000');
    // The simulation keeps playing while the curves are computed.
    await byId(page, 'play').click();
    await byId(page, 'mrc-run').click();
    await byId(page, 'mrc-chart').waitFor();
    const curves = await readCurves(page);
    assert.deepEqual(Object.keys(curves).sort(), ['lru', 'opt']);
    assert.equal(curves.lru.length, 16, JSON.stringify(curves.lru));
    assert.deepEqual(curves.lru.map(([c]) => c), curves.opt.map(([c]) => c), 'the same capacities');
    assert.equal(curves.lru.at(-1)[0], 1000, 'up to the chosen maximum');
    curves.lru.forEach(([cap, lru], i) => {
      const opt = curves.opt[i][1];
      assert.ok(opt >= lru, `OPT ${opt} ≥ LRU ${lru} at capacity ${cap}`);
      if (i > 0) assert.ok(lru >= curves.lru[i - 1][1], 'LRU is monotone in capacity');
    });
    assert.ok(curves.opt.at(-1)[1] > curves.lru.at(-1)[1], 'OPT beats LRU on the loop');
    assert.match(await byId(page, 'mrc-time').textContent(), /computed in \d+ ms/);
    assert.match(await byId(page, 'mrc-where').textContent(), /in (a|\d) workers?/, 'computed off the page thread');
    await byId(page, 'mrc').scrollIntoViewIfNeeded();
    await page.screenshot({ path: await artifact('cache-mrc-1280-viewport') });

    await byId(page, 'mrc-file').setInputFiles(garbage);
    await byId(page, 'mrc-file-name').filter({ hasText: 'garbage.lis' }).waitFor();
    assert.equal(await byId(page, 'mrc-format').inputValue(), 'arc', 'a .lis file is read as ARC');
    await byId(page, 'mrc-run').click();
    const error = byId(page, 'mrc-error');
    await error.waitFor();
    assert.match(await error.textContent(), /garbage\.lis, line 3/);
    assert.equal(await byId(page, 'mrc-chart').count(), 0, 'the error replaces the chart');
    // The page still works: the run is still playing and the time moves on.
    const before = parseTime(await byId(page, 'time').textContent());
    await page.waitForFunction(
      (t0) => {
        const m = /(\d+)\.(\d{3})s/.exec(document.querySelector('[data-testid="time"]')?.textContent ?? '');
        return m && Number(m[1]) * 1000 + Number(m[2]) > t0;
      },
      before,
      { timeout: WAIT_MS },
    );
  } finally {
    await finish(opened);
    await rm(dir, { recursive: true, force: true });
  }
});

test('write-back: a crash loses the dirty writes, drawn and counted, and the share link replays it; palette crash and phase change', TEST_OPTS, async () => {
  // A link made here: write-back without a flush timer, a third of requests writes, a TTL, and a
  // crash at 8 s, opened at 12 s.
  const scenario = { write_strategy: 'write_back', flush_every_ms: 0, write_percent: 30, ttl_ms: 20_000 };
  const inputs = [[8_000, 'crash']];
  const made = encodeLink(url('#/cache'), { v: 1, lab: 'cache', scenario, inputs, cursor: 12_000, view: {} });
  const a = await open(made.slice(made.indexOf('#')));
  const { page } = a;
  try {
    const state = await pausedState(page);
    assert.equal(state.ms, 12_000);
    assert.equal(await page.locator('.error-banner').count(), 0);
    assert.equal((await byId(page, 'write-strategy').textContent()).trim(), 'write-back');
    const lost = Number(await byId(page, 'lost-writes').textContent());
    assert.ok(lost > 0, `the crash lost writes: ${lost}`);
    assert.ok(Number(await byId(page, 'writes').textContent()) > lost, 'writes are counted');
    // Writes since the crash are dirty again: a value with a dirty dot, and write chips.
    await page.locator('[data-testid="cache-value"].dirty').first().waitFor();
    await page.locator('[data-testid="request-chip"].write').first().waitFor();
    assert.match(await byId(page, 'byte-hit-ratio').textContent(), /^\d+\.\d%$/);

    // The palette: a phase change and another crash are narrated; the crash loses more writes.
    await byId(page, 'fault-phase').click();
    await waitLogContains(page, 'You started a workload phase');
    await byId(page, 'fault-crash').click();
    await waitLogContains(page, 'You crashed the cache');
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-testid="lost-writes"]')?.textContent) > before,
      lost,
      { timeout: WAIT_MS },
    );
    await byId(page, 'get-key').fill('3');
    await byId(page, 'put-submit').click();
    await waitLogContains(page, 'You wrote key 3');
    await screenshot(page, 'cache-write-back-1280');

    const after = await pausedState(page);
    const link = await share(page);
    const { payload } = decodeLink(link);
    assert.equal(payload.scenario.write_strategy, 'write_back');
    assert.ok(payload.inputs.filter(([, cmd]) => cmd === 'crash').length === 2, 'both crashes travel');
    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.digest, after.digest, 'same run fingerprint');
      assert.equal(await byId(b.page, 'lost-writes').textContent(), await byId(page, 'lost-writes').textContent());
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }
});

test('app servers: local copies drawn per server, stale copies marked when invalidations are dropped', TEST_OPTS, async () => {
  const scenario = {
    app_servers: 3,
    coherence: 'pub_sub',
    pubsub_drop_percent: 100,
    local_ttl_ms: 0,
    write_percent: 20,
    write_strategy: 'write_through',
    rate_per_s: 100,
  };
  const made = encodeLink(url('#/cache'), { v: 1, lab: 'cache', scenario, inputs: [], cursor: 20_000, view: {} });
  const lab = await open(made.slice(made.indexOf('#')));
  const { page } = lab;
  try {
    const state = await pausedState(page);
    assert.equal(state.ms, 20_000);
    assert.equal(await page.locator('.error-banner').count(), 0);
    await byId(page, 'app-servers').waitFor();
    assert.equal(await page.locator('[data-testid^="app-server-"]').count(), 3, 'one row per app server');
    // Every invalidation is dropped and copies never expire, so written keys stay stale locally.
    assert.ok((await byId(page, 'stale-copy').count()) > 0, 'stale local copies are marked');
    assert.ok(Number(await byId(page, 'stale-reads').textContent()) > 0, 'stale reads are counted');
    await screenshot(page, 'cache-app-servers-1280');
  } finally {
    await finish(lab);
  }
});

test('cache nodes: a node joins the ring from the palette and only its keys move', TEST_OPTS, async () => {
  const made = encodeLink(url('#/cache'), { v: 1, lab: 'cache', scenario: { cache_nodes: 3 }, inputs: [], cursor: 10_000, view: {} });
  const lab = await open(made.slice(made.indexOf('#')));
  const { page } = lab;
  try {
    await pausedState(page);
    await byId(page, 'cache-nodes').waitFor();
    assert.equal(await byId(page, 'cache-node').count(), 3);
    await byId(page, 'fault-add-node').click();
    await waitLogContains(page, 'You added a cache node to the ring');
    await waitLogContains(page, 'cache node 3 joined');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="cache-node"]').length === 4,
      null,
      { timeout: WAIT_MS },
    );
    await byId(page, 'fault-remove-node').click();
    await waitLogContains(page, 'You removed cache node 3 from the ring');
    await waitLogContains(page, 'cache node 3 left');
  } finally {
    await finish(lab);
  }
});

test('compare request by request: pick a second policy in the scenario form, see where the two disagree and why', TEST_OPTS, async () => {
  const a = await open('#/cache');
  const { page } = a;
  try {
    await pausedState(page);
    assert.equal(await byId(page, 'cache-compare').count(), 0, 'no comparison until a second policy is chosen');
    // The scenario form: LRU (the policy) against ARC, in a smaller cache so they part often.
    await page.locator('details.scenario > summary').click();
    await page.locator('#sc-compare_policy').selectOption('arc');
    await page.locator('#sc-capacity').fill('20');
    await byId(page, 'apply-scenario').click();
    await byId(page, 'cache-compare').waitFor();
    await byId(page, 'speed').selectOption(SPEED_10X);
    await byId(page, 'play').click();
    // Rows appear, and among them one where LRU and ARC disagree, with the reason.
    await page.locator('[data-testid="compare-row"][data-differ="true"]').first().waitFor({ timeout: WAIT_MS });
    await byId(page, 'play').click();
    await pausedState(page);
    const summary = await byId(page, 'compare-summary').textContent();
    assert.match(summary, /^\d+ requests · A \d+\.\d% · B \d+\.\d% · only A hit \d+ · only B hit \d+$/);
    assert.match(await byId(page, 'cache-compare').locator('strong').textContent(), /A = LRU · B = ARC/);
    const differ = page.locator('[data-testid="compare-row"][data-differ="true"]').first();
    assert.match(
      await differ.locator('[data-testid="compare-why"]').textContent(),
      /^(A|B) (evicted \d+ \d+ requests? ago \(for \d+\)|did not keep \d+ when it was requested|never cached \d+)/,
    );
    const same = page.locator('[data-testid="compare-row"][data-differ="false"]');
    if ((await same.count()) > 0) {
      assert.equal(await same.first().locator('[data-testid="compare-why"]').count(), 0, 'agreeing rows say nothing');
    }
    assert.ok((await byId(page, 'compare-row').count()) <= 64, 'the strip keeps the last 64 requests');
    await screenshot(page, 'cache-compare-1280');

    // The share link carries the second policy, and the receiver sees the same strip.
    const link = await share(page);
    const { payload } = decodeLink(link);
    assert.equal(payload.scenario.compare_policy, 'arc');
    const b = await open(link.slice(link.indexOf('#')));
    try {
      await pausedState(b.page);
      assert.equal(await byId(b.page, 'compare-summary').textContent(), summary);
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }
});

test('byte capacity: sizes in kB, values too large to cache, and the comparison on a phone', TEST_OPTS, async () => {
  const scenario = {
    capacity_unit: 'bytes',
    capacity: 60_000,
    min_size_bytes: 1_000,
    max_size_bytes: 80_000,
    compare_policy: 's3fifo',
    policy: 'sieve',
    rate_per_s: 50,
  };
  const made = encodeLink(url('#/cache'), { v: 1, lab: 'cache', scenario, inputs: [], cursor: 10_000, view: {} });
  for (const [size, viewport] of [['1280', DESKTOP], ['390', PHONE]]) {
    const lab = await open(made.slice(made.indexOf('#')), { viewport });
    const { page } = lab;
    try {
      const state = await pausedState(page);
      assert.equal(state.ms, 10_000);
      assert.equal(await page.locator('.error-banner').count(), 0);
      assert.match(await byId(page, 'capacity-text').textContent(), /^\d+(\.\d)? kB \/ 60\.0 kB cached$/);
      assert.match(await byId(page, 'not-admitted').textContent(), /^\d+ too large to cache$/);
      assert.match(await byId(page, 'cache-compare').locator('strong').textContent(), /A = SIEVE · B = S3-FIFO/);
      assert.ok((await byId(page, 'compare-row').count()) > 0);
      if (viewport === PHONE) await assertNoHorizontalScroll(page, PHONE.width, 'cache lab with the comparison');
      await byId(page, 'cache-compare').scrollIntoViewIfNeeded();
      await page.screenshot({ path: await artifact(`cache-bytes-compare-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
  // Every policy runs in bytes, and any pair compares: ARC against W-TinyLFU opens cleanly.
  const arc = encodeLink(url('#/cache'), {
    v: 1,
    lab: 'cache',
    scenario: { ...scenario, policy: 'arc', compare_policy: 'wtinylfu' },
    inputs: [],
    cursor: 10_000,
    view: {},
  });
  const lab = await open(arc.slice(arc.indexOf('#')));
  try {
    await pausedState(lab.page);
    assert.equal(await lab.page.locator('.error-banner').count(), 0);
    assert.match(await byId(lab.page, 'capacity-text').textContent(), /^\d+(\.\d)? kB \/ 60\.0 kB cached$/);
    assert.match(await byId(lab.page, 'arc-p').textContent(), /^p = \d+(\.\d)? k?B$/);
    assert.match(await byId(lab.page, 'cache-compare').locator('strong').textContent(), /A = ARC · B = W-TinyLFU/);
    assert.ok((await byId(lab.page, 'compare-row').count()) > 0);
    await byId(lab.page, 'arc-p').scrollIntoViewIfNeeded();
    await lab.page.screenshot({ path: await artifact('cache-bytes-arc-p-1280-viewport') });
    await byId(lab.page, 'cache-compare').scrollIntoViewIfNeeded();
    await lab.page.screenshot({ path: await artifact('cache-bytes-arc-wtinylfu-1280-viewport') });
  } finally {
    await finish(lab);
  }
});

