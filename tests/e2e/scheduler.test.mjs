// The scheduler lab end to end in headless Chromium: the cron expression box (description, next
// runs in a chosen zone under each DST policy, an invalid expression pointing at its field),
// time zones loaded on demand (UTC without any download, tzdata.bin fetched once, a failed
// download said plainly and tried again), leader failover with a higher fencing token, a duplicate with fencing off shown in the
// exactly-once strip and reproduced by a share link, the charts (a utilisation strip with one row per
// worker, the pool order, per-tenant lag under fair share, the "no run lost" audit and a lost run
// named), jobs in time zones (set through the scenario form or named by a link, their data loaded
// once and carried by the share link; an unknown zone refused; a failed download tried again),
// the heatmap in a display zone, the phone layout, and screenshots.
//
// Every wait is on a DOM condition (never a sleep), and nothing asserts how long anything took.
// Page helpers shared with the other lab suites are in lab-page.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { screenshot, url, useBrowser, waitForAppStart } from './helpers.mjs';
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
  parseTime,
  pausedState,
  playPast,
  share as shareLink,
  step,
  waitLogContains,
} from './lab-page.mjs';

const ctx = useBrowser();

/** Opens a path; on the scheduler page, waits for its controls and its drawing. */
const open = (path, opts = {}) => openLab(ctx.browser, path, { ...opts, ready: ['time', 'scheduler'] });

/** A link made here to the scheduler lab: a scenario (merged over the defaults), inputs, a cursor. */
const made = (scenario, inputs, cursor) => {
  const link = encodeLink(url('#/scheduler'), { v: 1, lab: 'scheduler', scenario, inputs, cursor, view: {} });
  return link.slice(link.indexOf('#'));
};

/** Three nodes, two workers, one job every ten seconds that takes two (as in core's tests). */
const SMALL = {
  nodes: 3,
  workers: 2,
  jobs: [{ name: 'tick', cron: '*/10 * * * * *', duration_ms: 2000 }],
};

/** A partitioned old leader whose clock runs 15 s slow keeps scheduling after failover. */
const STALE_LEADER = [
  [5_000, { clock_skew: { node: 0, skew_ms: -15000 } }],
  [12_000, { partition_leader: { on: true } }],
];

/** The next runs the expression box lists. */
const nextRuns = (page) => page.locator('[data-testid="cron-next"] li').allTextContents();

/** Waits until the first listed run is `first`. */
async function waitFirstRun(page, first) {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="cron-next"] li')?.textContent === want,
    first,
    { timeout: WAIT_MS },
  );
}

/** The node acting as leader and its token, once exactly one does. */
async function leader(page, { above = 0 } = {}) {
  const handle = await page.waitForFunction(
    (min) => {
      const leaders = [...document.querySelectorAll('[data-testid^="node-"][data-role="leader"]')];
      if (leaders.length !== 1) return null;
      const token = Number(leaders[0].dataset.token);
      return token > min ? { node: leaders[0].dataset.testid, token } : null;
    },
    above,
    { timeout: WAIT_MS },
  );
  return handle.jsonValue();
}

test('the expression box: description, next runs in a zone under each DST policy, and field errors', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page } = opened;
  try {
    const expr = byId(page, 'cron-expr');
    await expr.fill('30 2 * * *');
    await byId(page, 'cron-zone').fill('America/New_York');
    await byId(page, 'cron-from').fill('2024-03-10');
    await page.waitForFunction(
      () => /At 02:30/.test(document.querySelector('[data-testid="cron-description"]')?.textContent ?? ''),
      null,
      { timeout: WAIT_MS },
    );
    assert.equal(await byId(page, 'cron-field').count(), 5, 'five fields named');
    // 02:30 does not exist in New York on 10 March 2024 (clocks jump from 02:00 to 03:00).
    await waitFirstRun(page, '2024-03-10T03:00:00-04:00');
    let runs = await nextRuns(page);
    assert.equal(runs.length, 8);
    assert.equal(runs[1], '2024-03-11T02:30:00-04:00');
    await byId(page, 'cron-gap').selectOption('skip');
    await waitFirstRun(page, '2024-03-11T02:30:00-04:00');

    // Fall back on 3 November 2024: 01:30 happens twice.
    await expr.fill('30 1 * * *');
    await byId(page, 'cron-from').fill('2024-11-03');
    await waitFirstRun(page, '2024-11-03T01:30:00-04:00');
    runs = await nextRuns(page);
    assert.equal(runs[1], '2024-11-04T01:30:00-05:00', 'once: the first occurrence only');
    await byId(page, 'cron-fold').selectOption('twice');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="cron-next"] li')[1]?.textContent === '2024-11-03T01:30:00-05:00',
      null,
      { timeout: WAIT_MS },
    );

    // Another zone: the same expression in UTC.
    await byId(page, 'cron-zone').fill('UTC');
    await waitFirstRun(page, '2024-11-03T01:30:00Z');

    // An invalid minute: the error names the field and the field is marked; the page keeps working.
    await expr.fill('61 9 * * 1-5');
    const error = byId(page, 'cron-error');
    await error.waitFor();
    assert.match(await error.textContent(), /minute/);
    assert.equal((await byId(page, 'cron-error-field').textContent()).trim(), '61minute');
    assert.equal(await expr.getAttribute('aria-invalid'), 'true');
    assert.equal(await byId(page, 'cron-next').count(), 0, 'no runs for an invalid expression');
    // A date that never comes.
    await expr.fill('0 0 30 2 *');
    await page.waitForFunction(
      () => /never|30 February|February/i.test(document.querySelector('[data-testid="cron-error"]')?.textContent ?? ''),
      null,
      { timeout: WAIT_MS },
    );
    const played = await playPast(page, 2_000);
    assert.ok(played.ms > 2_000, 'the run still plays');
    await expr.fill('0 9 * * 1-5');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="cron-description"]')?.textContent === 'At 09:00, Monday through Friday',
      null,
      { timeout: WAIT_MS },
    );
    assert.equal(await byId(page, 'cron-error').count(), 0);
  } finally {
    await finish(opened);
  }
});

/** Counts the page's requests for the tz database. */
function countTzdata(page) {
  const urls = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('/tzdata.bin')) urls.push(r.url());
  });
  return urls;
}

test('time zones load on demand: UTC needs no download, New York fetches tzdata.bin once and shows DST-correct runs', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page } = opened;
  const fetched = countTzdata(page);
  // Hold the download until the page has said it is loading.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route('**/tzdata.bin', async (route) => {
    await held;
    await route.continue();
  });
  try {
    const zone = byId(page, 'cron-zone');
    assert.equal(await zone.inputValue(), 'UTC', 'the box starts in UTC');
    await byId(page, 'cron-expr').fill('30 2 * * *');
    await byId(page, 'cron-from').fill('2024-03-10');
    await waitFirstRun(page, '2024-03-10T02:30:00Z');
    assert.equal(await page.locator('#scheduler-zones option').count(), 6, 'a short list of zones before loading');
    assert.equal(fetched.length, 0, 'UTC needs no time zone data');

    await zone.fill('America/New_York');
    await byId(page, 'cron-tz-loading').waitFor();
    assert.equal(await byId(page, 'cron-tz-loading').textContent(), 'loading time zones…');
    assert.equal(await byId(page, 'cron-next').count(), 0, 'no runs until the zone is known');
    release();
    // 02:30 does not exist in New York on 10 March 2024: the next valid instant, then EDT.
    await waitFirstRun(page, '2024-03-10T03:00:00-04:00');
    assert.deepEqual((await nextRuns(page)).slice(0, 3), [
      '2024-03-10T03:00:00-04:00',
      '2024-03-11T02:30:00-04:00',
      '2024-03-12T02:30:00-04:00',
    ]);
    assert.equal(await byId(page, 'cron-tz-loading').count(), 0);
    await page.waitForFunction(() => document.querySelectorAll('#scheduler-zones option').length > 500, null, {
      timeout: WAIT_MS,
    });
    await byId(page, 'cron-box').screenshot({ path: await artifact('scheduler-zone-new-york') });

    // Other zones come from the same download, any ASCII case; November's fold in New York.
    await byId(page, 'cron-expr').fill('30 1 * * *');
    await byId(page, 'cron-from').fill('2024-11-03');
    await byId(page, 'cron-fold').selectOption('twice');
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="cron-next"] li')[1]?.textContent === '2024-11-03T01:30:00-05:00',
      null,
      { timeout: WAIT_MS },
    );
    await byId(page, 'cron-fold').selectOption('once');
    await zone.fill('europe/london');
    await byId(page, 'cron-from').fill('2024-03-31');
    await waitFirstRun(page, '2024-03-31T02:00:00+01:00');
    await zone.fill('Australia/Lord_Howe');
    await byId(page, 'cron-expr').fill('15 2 * * *');
    await byId(page, 'cron-from').fill('2024-10-06');
    await waitFirstRun(page, '2024-10-06T02:30:00+11:00');
    await zone.fill('Asia/Kolkata');
    await waitFirstRun(page, '2024-10-06T02:15:00+05:30');
    await zone.fill('Mars/Olympus_Mons');
    await page.waitForFunction(
      () => /no time zone "Mars\/Olympus_Mons"/.test(document.querySelector('[data-testid="cron-error"]')?.textContent ?? ''),
      null,
      { timeout: WAIT_MS },
    );
    await zone.fill('UTC');
    await waitFirstRun(page, '2024-10-06T02:15:00Z');
    assert.deepEqual(fetched, [url('tzdata.bin')], 'fetched once, relative to the page');
  } finally {
    await finish(opened);
  }
});

test('a failed time zone download says so, UTC keeps working, and it can be tried again', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page, errors } = opened;
  const fetched = countTzdata(page);
  let down = true;
  await page.route('**/tzdata.bin', (route) =>
    down ? route.fulfill({ status: 503, contentType: 'text/plain', body: 'maintenance' }) : route.continue(),
  );
  try {
    await byId(page, 'cron-expr').fill('0 9 * * *');
    await byId(page, 'cron-from').fill('2024-06-01');
    await byId(page, 'cron-zone').fill('Asia/Tokyo');
    const error = byId(page, 'cron-tz-error');
    await error.waitFor();
    assert.match(await error.textContent(), /Could not load the time zones \(tzdata\.bin\): the server answered 503/);
    await byId(page, 'cron-box').screenshot({ path: await artifact('scheduler-zone-failed') });
    await byId(page, 'cron-zone').fill('UTC');
    await waitFirstRun(page, '2024-06-01T09:00:00Z');
    await byId(page, 'cron-zone').fill('Asia/Tokyo');
    await error.waitFor();
    assert.equal(fetched.length, 1, 'a failure is not retried behind the user\'s back');
    down = false;
    await byId(page, 'cron-tz-retry').click();
    await waitFirstRun(page, '2024-06-01T09:00:00+09:00');
    assert.equal(fetched.length, 2);
    // The browser reports the refused download on the console; that one is expected.
    const expected = (e) => /status of 503/.test(e);
    assert.equal(errors.filter(expected).length, 1, errors.join('\n'));
    errors.splice(0, errors.length, ...errors.filter((e) => !expected(e)));
  } finally {
    await finish(opened);
  }
});

/** Index of 100× in the speed menu (state.rs SPEEDS). */
const SPEED_100X = '7';
/** 2024-01-01T13:59:00Z: one minute before 09:00 in New York (EST, -05:00). */
const EPOCH_NY_0859 = 1_704_117_540;
/** A job at second 0 of every minute of 09:00-09:59 New York time, and the same in UTC. */
const ZONED_JOBS = [
  { name: 'ny', cron: '0 * 9 * * *', duration_ms: 2000, zone: 'America/New_York' },
  { name: 'utc', cron: '0 * 9 * * *', duration_ms: 2000 },
];

/** How many times this page has downloaded the tz database (from the browser's own record). */
const tzdataFetches = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname.endsWith('/tzdata.bin')).length);

/** Waits until the heatmap is drawn in `zone`. */
const page_heatZone = (page, zone) =>
  page.waitForFunction((z) => document.querySelector('[data-testid="heatmap"]')?.dataset.zone === z, zone, { timeout: WAIT_MS });

/** The heatmap cell of day `d` (0 = the first row) and hour `h`: its fires and title. */
const heatCell = (page, d, h) =>
  page.evaluate(
    (i) => {
      const c = document.querySelectorAll('[data-testid="heatmap"] .scheduler-heat .scheduler-cell')[i];
      return { fires: Number(c?.dataset.fires), title: c?.getAttribute('title') };
    },
    d * 24 + h,
  );

test('a job in New York through the scenario form: its fires at local times, the link carries the zone and replays without a download', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page } = opened;
  const fetched = countTzdata(page);
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await page.route('**/tzdata.bin', async (route) => {
    await held;
    await route.continue();
  });
  try {
    assert.equal(await byId(page, 'heatmap').getAttribute('data-zone'), 'UTC');
    await page.locator('details.scenario > summary').click();
    await page.locator('#sc-epoch').fill(String(EPOCH_NY_0859));
    await page.locator('#sc-jobs').fill(JSON.stringify(ZONED_JOBS));
    assert.equal(await page.locator('[id^="sc-tzif"]').count(), 0, 'no time zone data in the form');
    await byId(page, 'apply-scenario').click();
    // The scenario waits for the zone data, saying so.
    const note = byId(page, 'prepare-status');
    await note.waitFor();
    await note.screenshot({ path: await artifact('scheduler-zone-form-loading') });
    assert.match(await note.textContent(), /Loading time zones for America\/New_York/);
    release();
    await note.waitFor({ state: 'detached' });
    await byId(page, 'gantt-row-ny').waitFor();
    assert.equal(await page.locator('.form-error').count(), 0);
    assert.equal(fetched.length, 1, 'the tz database is fetched once');

    // The heatmap: 09:00-09:59 in New York is hour 14 in UTC on Monday 1 January.
    let cell = await heatCell(page, 0, 14);
    assert.equal(cell.fires, 60, `Mon 14:00 UTC: ${cell.title}`);
    assert.equal((await heatCell(page, 0, 9)).fires, 60, 'the UTC job at 09:00 UTC');
    // Shown on New York's clock (a job's zone: no download), both move: New York's job to 09:00.
    const options = await byId(page, 'heatmap-zone').locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes('UTC') && options.includes('America/New_York'), `display zones: ${options}`);
    await byId(page, 'heatmap-zone').selectOption('America/New_York');
    await page_heatZone(page, 'America/New_York');
    cell = await heatCell(page, 0, 9);
    assert.equal(cell.fires, 60, `Mon 09:00 New York: ${cell.title}`);
    assert.match(cell.title, /^Mon 09:00 America\/New_York: 60 fires from 1 job/);
    assert.equal((await heatCell(page, 0, 4)).fires, 60, 'the UTC job at 04:00 New York time');
    assert.equal(fetched.length, 1, 'no second download');
    await byId(page, 'heatmap').screenshot({ path: await artifact('scheduler-heatmap-new-york') });

    // The Gantt: New York's job fires at 09:00, 09:01, … New York time (60 s, 120 s of the run);
    // the UTC job not at all this early.
    await byId(page, 'speed').selectOption(SPEED_100X);
    const state = await playPast(page, 125_000);
    const bars = await page
      .locator('[data-testid="gantt-row-ny"] [data-testid="gantt-bar"]')
      .evaluateAll((bs) => bs.map((b) => b.dataset.due));
    assert.deepEqual(bars.slice(0, 2), ['2024-01-01T09:00:00-05:00', '2024-01-01T09:01:00-05:00']);
    assert.equal(await page.locator('[data-testid="gantt-row-utc"] [data-testid="gantt-bar"]').count(), 0);
    assert.equal((await byId(page, 'gantt-row-ny').locator('[data-testid="gantt-zone"]').textContent()).trim(), 'New York');
    await byId(page, 'gantt').screenshot({ path: await artifact('scheduler-gantt-new-york') });

    // The link carries the zone's data, so it replays anywhere without a download.
    const link = await shareLink(page, 'scheduler');
    const { payload } = decodeLink(link);
    assert.deepEqual(Object.keys(payload.scenario.tzif ?? {}), ['America/New_York']);
    assert.match(payload.scenario.tzif['America/New_York'], /^VFppZ/, 'TZif in base64');
    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, state.time);
      assert.equal(other.digest, state.digest, 'same run fingerprint');
      assert.equal(await b.page.locator('.error-banner').count(), 0);
      assert.equal(await tzdataFetches(b.page), 0, 'no tzdata.bin request');
      assert.equal(await byId(b.page, 'gantt').innerHTML(), await byId(page, 'gantt').innerHTML(), 'same Gantt');
    } finally {
      await finish(b);
    }
  } finally {
    await finish(opened);
  }
});

test('links naming zones they do not carry: loaded on open, an unknown zone refused by name, a failed download tried again', TEST_OPTS, async () => {
  // A link naming New York without its data: the page loads it, then opens the run (here on
  // a phone, where the heatmap's zone menu must fit too).
  const bare = await open(made({ epoch: EPOCH_NY_0859, jobs: ZONED_JOBS }, [], 65_000), { viewport: PHONE });
  try {
    await pausedState(bare.page);
    await byId(bare.page, 'heatmap-zone').selectOption('America/New_York');
    await page_heatZone(bare.page, 'America/New_York');
    await assertNoHorizontalScroll(bare.page, PHONE.width, 'scheduler lab with a zoned job');
    await byId(bare.page, 'heatmap').screenshot({ path: await artifact('scheduler-390-heatmap-new-york') });
    await byId(bare.page, 'gantt').screenshot({ path: await artifact('scheduler-390-gantt-new-york') });
    assert.equal(await bare.page.locator('.error-banner').count(), 0);
    assert.equal(await tzdataFetches(bare.page), 1);
    const bar = bare.page.locator('[data-testid="gantt-row-ny"] [data-testid="gantt-bar"]').first();
    assert.equal(await bar.getAttribute('data-due'), '2024-01-01T09:00:00-05:00');
    const { payload } = decodeLink(await shareLink(bare.page, 'scheduler'));
    assert.deepEqual(Object.keys(payload.scenario.tzif ?? {}), ['America/New_York'], 'its share link carries the data');
  } finally {
    await finish(bare);
  }

  // A zone no database has: refused by name; the default scenario runs instead.
  const mars = await open(made({ jobs: [{ name: 'rover', cron: '0 * * * * *', zone: 'Mars/Olympus' }] }, [], 0));
  try {
    const banner = mars.page.locator('.error-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /job rover: zone: no time zone "Mars\/Olympus"/);
    assert.equal(await byId(mars.page, 'prepare-retry').count(), 0, 'nothing to try again');
    const played = await playPast(mars.page, 2_000);
    assert.ok(played.ms > 2_000, 'the page keeps working');
    await screenshot(mars.page, 'scheduler-unknown-zone');
  } finally {
    await finish(mars);
  }

  // The download fails: said with "Try again", the default scenario runs meanwhile; then it opens.
  const path = made({ epoch: EPOCH_NY_0859, jobs: ZONED_JOBS }, [], 65_000);
  const failing = await open('#/scheduler');
  const { page, errors } = failing;
  let fail = true;
  await page.route('**/tzdata.bin', (route) =>
    fail ? route.fulfill({ status: 503, contentType: 'text/plain', body: 'maintenance' }) : route.continue(),
  );
  try {
    await page.goto(url(path));
    const banner = page.locator('.error-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /Could not load the time zones \(tzdata\.bin\).*503/);
    await screenshot(page, 'scheduler-zone-link-failed');
    await pausedState(page);
    await byId(page, 'scheduler').waitFor();
    fail = false;
    await byId(page, 'prepare-retry').click();
    await byId(page, 'gantt-row-ny').waitFor();
    assert.equal(await page.locator('.error-banner').count(), 0);
    assert.equal((await pausedState(page)).ms, 65_000);
    const expected = (e) => /status of 503/.test(e);
    errors.splice(0, errors.length, ...errors.filter((e) => !expected(e)));
  } finally {
    await finish(failing);
  }
});

test('a scenario from the form whose zone data fails to load: said with "Try again", the old run keeps going, then it applies', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page, errors } = opened;
  let fail = true;
  await page.route('**/tzdata.bin', (route) =>
    fail ? route.fulfill({ status: 503, contentType: 'text/plain', body: 'maintenance' }) : route.continue(),
  );
  try {
    await page.locator('details.scenario > summary').click();
    await page.locator('#sc-epoch').fill(String(EPOCH_NY_0859));
    await page.locator('#sc-jobs').fill(JSON.stringify(ZONED_JOBS));
    await byId(page, 'apply-scenario').click();
    const note = byId(page, 'prepare-status');
    await page.waitForFunction(() => /503/.test(document.querySelector('[data-testid="prepare-status"]')?.textContent ?? ''));
    assert.match(await note.textContent(), /Could not load the time zones \(tzdata\.bin\) that this scenario's jobs name: the server answered 503/);
    assert.equal(await note.getAttribute('role'), 'alert');
    await note.screenshot({ path: await artifact('scheduler-zone-form-failed') });
    // The default scenario's run is still there and plays.
    assert.ok((await playPast(page, 1_000)).ms > 1_000);
    assert.equal(await byId(page, 'gantt-row-ny').count(), 0);
    fail = false;
    await byId(page, 'prepare-retry').click();
    await byId(page, 'gantt-row-ny').waitFor();
    await note.waitFor({ state: 'detached' });
    assert.equal((await pausedState(page)).ms, 0, 'a new run from time 0');
    const expected = (e) => /status of 503/.test(e);
    errors.splice(0, errors.length, ...errors.filter((e) => !expected(e)));
  } finally {
    await finish(opened);
  }
});

test('the heatmap in the browser\'s own zone: offered, loaded on demand, and a UTC job placed on its clock', TEST_OPTS, async () => {
  // A browser in Tokyo (+09:00, no DST); one job at 09:00 UTC, which is 18:00 in Tokyo.
  const context = await ctx.browser.newContext({ viewport: DESKTOP, timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(`console: ${msg.text()}`));
  await page.addInitScript(() => window.addEventListener('OrreryStarted', () => (window.__orreryStarted = true)));
  const fetched = countTzdata(page);
  try {
    await page.goto(url(made({ jobs: [{ name: 'daily', cron: '0 0 9 * * *', duration_ms: 2000 }] }, [], 0)));
    await waitForAppStart(page, errors);
    await byId(page, 'heatmap').waitFor();
    assert.equal((await heatCell(page, 0, 9)).fires, 1, 'in UTC at 09:00');
    const options = await byId(page, 'heatmap-zone').locator('option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(options, [['UTC', 'UTC'], ['Asia/Tokyo', 'Asia/Tokyo (yours)']]);
    assert.equal(fetched.length, 0, 'UTC needs no download');
    await byId(page, 'heatmap-zone').selectOption('Asia/Tokyo');
    await page_heatZone(page, 'Asia/Tokyo');
    const cell = await heatCell(page, 0, 18);
    assert.equal(cell.fires, 1, cell.title);
    assert.match(cell.title, /^Mon 18:00 Asia\/Tokyo: 1 fires from 1 job/);
    assert.equal((await heatCell(page, 0, 9)).fires, 0);
    assert.equal(fetched.length, 1, 'the browser\'s zone needs the database, once');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('kill the leader: another node takes the lease with a higher fencing token', TEST_OPTS, async () => {
  const opened = await open('#/scheduler');
  const { page } = opened;
  try {
    await byId(page, 'speed').selectOption(SPEED_10X);
    await playPast(page, 12_000);
    const first = await leader(page);
    assert.equal(await byId(page, 'lease-token').textContent(), String(first.token));
    // The heatmap and the Gantt draw the default jobs.
    assert.ok((await page.locator('.scheduler-cell.collision').count()) > 0, 'the default jobs collide every hour');
    await page.locator('[data-testid="gantt-bar"]').first().waitFor();

    await byId(page, 'fault-crash-leader').click();
    await waitLogContains(page, 'You crashed the leader');
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="${id}"]`)?.dataset.role === 'down',
      first.node,
      { timeout: WAIT_MS },
    );
    await byId(page, 'play').click();
    const next = await leader(page, { above: first.token });
    await byId(page, 'play').click();
    await pausedState(page);
    assert.notEqual(next.node, first.node, 'a different node leads');
    assert.ok(next.token > first.token, `token ${next.token} > ${first.token}`);
    assert.equal((await byId(page, 'exactly-once').getAttribute('data-duplicates')), '0', 'fencing on: no duplicate');

    // A worker crash mid-job: the Gantt shows the crashed bar.
    // Step (event by event, paused) until some worker is busy; the palette offers to crash it.
    for (let i = 0; i < 200 && (await page.locator('.scheduler-worker.busy').count()) === 0; i++) await step(page);
    const busy = await page.locator('.scheduler-worker.busy').first().getAttribute('data-testid');
    assert.ok(busy, 'a worker is busy');
    assert.equal(await byId(page, 'fault-crash-worker').textContent(), `Crash ${busy.replace('-', ' ')}`);
    await byId(page, 'fault-crash-worker').click();
    await waitLogContains(page, 'You crashed worker');
    await page.locator('[data-testid="gantt-bar"][data-outcome="crashed"]').first().waitFor();
  } finally {
    await finish(opened);
  }
});

test('fencing off: the partitioned old leader double-fires, the strip shows it, and a link reproduces it', TEST_OPTS, async () => {
  const a = await open(made({ ...SMALL, fencing: false }, STALE_LEADER, 40_000));
  const { page } = a;
  try {
    const state = await pausedState(page);
    assert.equal(state.ms, 40_000);
    assert.equal(await page.locator('.error-banner').count(), 0);
    const strip = byId(page, 'exactly-once');
    assert.ok(Number(await strip.getAttribute('data-duplicates')) > 0, 'duplicates counted');
    assert.match(await strip.getAttribute('class'), /\bbroken\b/);
    const detail = await byId(page, 'duplicate-detail').textContent();
    assert.match(detail, /applied twice/);
    assert.match(detail, /node 0 .*token 1|token 1.*node 0/, `the interleaving names the old leader: ${detail}`);
    assert.match(await byId(page, 'invariants').textContent(), /exactly-once/);
    assert.ok((await page.locator('[data-testid="gantt-bar"][data-outcome="duplicate"]').count()) > 0, 'the Gantt marks the duplicate');

    // One more step, then share: the link opens the same run at the same moment.
    const after = await step(page);
    const link = await shareLink(page, 'scheduler');
    const { payload } = decodeLink(link);
    assert.equal(payload.scenario.fencing, false);
    assert.equal(payload.cursor, after.ms);
    const b = await open(link.slice(link.indexOf('#')));
    try {
      const other = await pausedState(b.page);
      assert.equal(other.time, after.time, 'same time');
      assert.equal(other.digest, after.digest, 'same run fingerprint');
      for (const id of ['exactly-once', 'no-run-lost', 'store', 'nodes', 'workers', 'queue', 'gantt']) {
        assert.equal(await byId(b.page, id).innerHTML(), await byId(page, id).innerHTML(), `same ${id} drawn`);
      }
    } finally {
      await finish(b);
    }
  } finally {
    await finish(a);
  }

  // The same faults with fencing on: the target refuses the stale copy.
  const c = await open(made({ ...SMALL, fencing: true }, STALE_LEADER, 40_000));
  try {
    await pausedState(c.page);
    assert.equal(await byId(c.page, 'exactly-once').getAttribute('data-duplicates'), '0');
    assert.ok((await c.page.locator('[data-testid="gantt-bar"][data-outcome="fenced"]').count()) > 0, 'a fenced bar');
  } finally {
    await finish(c);
  }
});

/** Two tenants under fair share: `shop` floods the single worker, `ads` runs once a minute. */
const FAIR = {
  nodes: 1,
  workers: 1,
  pool: 'fair_share',
  jobs: [
    { name: 'shop-a', tenant: 'shop', cron: '*/10 * * * * *', duration_ms: 6000, priority: 9 },
    { name: 'shop-b', tenant: 'shop', cron: '*/10 * * * * *', duration_ms: 6000, priority: 9 },
    { name: 'ads', tenant: 'ads', cron: '0 * * * * *', duration_ms: 2000, priority: 1 },
  ],
};

/** The utilisation strip's busy shares, per worker row. */
const stripRows = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="util-strip"] [data-testid^="util-row-"]')].map((row) => ({
      id: row.dataset.testid,
      cells: [...row.querySelectorAll('.scheduler-strip-cell')].map((c) => Number(c.dataset.permille)),
    })),
  );

test('the charts: a utilisation strip per worker, the pool order, and the "no run lost" audit', TEST_OPTS, async () => {
  const opened = await open(made({ ...SMALL, workers: 3 }, [[20_000, { crash_worker: { worker: 0 } }]], 60_000));
  const { page } = opened;
  try {
    await pausedState(page);
    const rows = await stripRows(page);
    assert.deepEqual(rows.map((r) => r.id), ['util-row-0', 'util-row-1', 'util-row-2'], 'one row per worker');
    for (const r of rows) {
      assert.equal(r.cells.length, 24, `${r.id} has 24 buckets`);
      assert.ok(r.cells.every((p) => p >= 0 && p <= 1000), `${r.id} shares are permille: ${r.cells}`);
    }
    // One 2 s job every 10 s on three workers: some worker is busy in some bucket, none always.
    const total = rows.flatMap((r) => r.cells).reduce((a, b) => a + b, 0);
    assert.ok(total > 0, 'the strip shows work');
    assert.ok(rows.every((r) => r.cells.some((p) => p < 1000)), 'nobody is busy all the time');
    const pool = byId(page, 'queue-pool');
    assert.equal(await pool.getAttribute('data-pool'), 'priority');
    assert.equal(await pool.textContent(), '(priority order)');
    assert.equal(await byId(page, 'tenant-lag').count(), 0, 'one tenant: no per-tenant lag');
    const audit = byId(page, 'no-run-lost');
    assert.ok(Number(await audit.getAttribute('data-audited')) >= 5, 'the due runs so far are audited');
    assert.equal(await audit.getAttribute('data-lost'), 'false');
    assert.match(await audit.textContent(), /due runs audited · 0 skipped by misfire policy · none lost/);

    // The strip follows the log (steps that log nothing, such as lease renewals, leave it be):
    // stepping on until the next event extends it to that event.
    const strip = byId(page, 'util-strip');
    const before = await strip.innerHTML();
    for (let i = 0; i < 50 && (await strip.innerHTML()) === before; i++) await step(page);
    assert.notEqual(await strip.innerHTML(), before, 'the strip grew with the log');
    assert.match(await strip.textContent(), /2\.\ds per cell · 6\d\.\ds/);

    // The strip is read from the log incrementally; stepping back reads it afresh. Either
    // way it equals the strip of a link opened at the same moment.
    for (const back of [false, true]) {
      if (back) {
        const shownBefore = await pausedState(page);
        await byId(page, 'step-back').click();
        await page.waitForFunction(
          (prev) => document.querySelector('[data-testid="time"]')?.textContent !== prev,
          shownBefore.time,
          { timeout: WAIT_MS },
        );
        await pausedState(page);
      }
      const link = await shareLink(page, 'scheduler');
      const other = await open(link.slice(link.indexOf('#')));
      try {
        await pausedState(other.page);
        for (const id of ['util-strip', 'no-run-lost']) {
          assert.equal(await byId(other.page, id).innerHTML(), await byId(page, id).innerHTML(), `same ${id} (back: ${back})`);
        }
      } finally {
        await finish(other);
      }
    }
  } finally {
    await finish(opened);
  }
});

test('a fair_share link shows per-tenant lag; a from_cursor change names the lost run', TEST_OPTS, async () => {
  const opened = await open(made(FAIR, [], 180_000));
  const { page } = opened;
  try {
    await pausedState(page);
    assert.equal(await byId(page, 'queue-pool').getAttribute('data-pool'), 'fair_share');
    assert.equal(await byId(page, 'queue-pool').textContent(), '(fair share)');
    const lag = byId(page, 'tenant-lag');
    await lag.waitFor();
    const rows = await page.locator('[data-testid="tenant-lag"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(rows.map((r) => r[0]), ['ads', 'shop'], 'one row per tenant, by name');
    for (const [tenant, runs, p50, p99] of rows) {
      assert.ok(Number(runs) > 0, `${tenant} ran`);
      assert.match(p50, /^\d+\.\ds$/);
      assert.match(p99, /^\d+\.\ds$/);
    }
    assert.equal((await stripRows(page)).length, 1, 'one worker, one strip row');
    await byId(lag, 'tenant-lag-shop').waitFor();
    await byId(page, 'workers').screenshot({ path: await artifact('scheduler-fair-share-workers') });
    await byId(page, 'queue').screenshot({ path: await artifact('scheduler-fair-share-queue') });
  } finally {
    await finish(opened);
  }

  // As in core's cron_lab_lost test: the job changes after its 20 s run fell due and before
  // the new leader's scan enqueued it; with from_cursor that run is lost.
  const lost = await open(
    made({ ...SMALL, job_change: 'from_cursor' }, [
      [12_000, 'crash_leader'],
      [20_100, { update_job: { job: { name: 'tick', cron: '5-59/20 * * * * *', duration_ms: 2000 } } }],
    ], 30_000),
  );
  try {
    await pausedState(lost.page);
    const audit = byId(lost.page, 'no-run-lost');
    assert.equal(await audit.getAttribute('data-lost'), 'true');
    assert.match(await audit.getAttribute('class'), /\bbroken\b/);
    assert.match(await byId(lost.page, 'lost-detail').textContent(), /tick@20s was due but never enqueued/);
    assert.match(await byId(lost.page, 'invariants').textContent(), /no run lost/);
    await audit.screenshot({ path: await artifact('scheduler-run-lost') });
  } finally {
    await finish(lost);
  }
});

test('on a 390×844 phone the scheduler lab fits the width', TEST_OPTS, async () => {
  const opened = await open(made({}, [[20_000, 'crash_leader']], 60_000), { viewport: PHONE });
  const { page } = opened;
  try {
    await pausedState(page);
    for (const id of ['scheduler', 'heatmap', 'gantt', 'cron-box', 'util-strip', 'no-run-lost']) {
      const box = await byId(page, id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${id} is on screen: ${JSON.stringify(box)}`);
    }
    await assertNoHorizontalScroll(page, PHONE.width, 'scheduler lab');
    await byId(page, 'cron-expr').fill('0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0');
    await byId(page, 'cron-error').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'scheduler lab with a long invalid expression');
    await byId(page, 'compare').click();
    await byId(page, 'compare-metrics').waitFor();
    await assertNoHorizontalScroll(page, PHONE.width, 'scheduler lab in compare mode');
  } finally {
    await finish(opened);
  }
});

test('screenshots of the scheduler lab at 1280×800 and 390×844', TEST_OPTS, async () => {
  // The default scenario at 100 s: the leader crashed at 30 s, a worker at 60 s, the first job
  // slowed at 70 s, a job added at 40 s and triggered by hand at 80 s.
  const inputs = [
    [30_000, 'crash_leader'],
    [40_000, { add_job: { job: { name: 'adhoc', cron: '*/15 * * * * *', duration_ms: 4000, priority: 6 } } }],
    [60_000, { crash_worker: { worker: 1 } }],
    [70_000, { slow_job: { job: 'billing', extra_ms: 30000 } }],
    [80_000, { trigger: { name: 'billing' } }],
  ];
  const path = made({}, inputs, 100_000);
  for (const [size, viewport] of [
    ['1280', DESKTOP],
    ['390', PHONE],
  ]) {
    const lab = await open(path, { viewport });
    try {
      const state = await pausedState(lab.page);
      assert.equal(parseTime(state.time), 100_000);
      assert.equal(await lab.page.locator('.error-banner').count(), 0);
      await lab.page.locator('[data-testid="gantt-bar"]').first().waitFor();
      await assertNoHorizontalScroll(lab.page, viewport.width, `scheduler lab at ${size}`);
      await screenshot(lab.page, `scheduler-${size}`);
      if (viewport === PHONE) {
        // Each part at full resolution, to look at closely.
        for (const id of ['cron-box', 'heatmap', 'gantt', 'store', 'nodes', 'queue', 'workers', 'exactly-once', 'no-run-lost', 'faults']) {
          const part = id === 'faults' ? lab.page.locator('.faults') : byId(lab.page, id);
          await part.screenshot({ path: await artifact(`scheduler-390-${id}`) });
        }
      }
      await lab.page.screenshot({ path: await artifact(`scheduler-${size}-viewport`) });
    } finally {
      await finish(lab);
    }
  }
  // Jobs in three zones from 08:59 in New York: New York's opening-hour job collides with the
  // ten-second heartbeat only during 09:00-09:59 New York time, on weekdays.
  const zoned = await open(
    made(
      {
        epoch: EPOCH_NY_0859,
        jobs: [
          { name: 'heartbeat', cron: '*/10 * * * * *', duration_ms: 1500, misfire: 'skip', overlap: 'skip' },
          { name: 'ny-open', cron: '0 * 9 * * 1-5', duration_ms: 20000, priority: 8, zone: 'America/New_York' },
          { name: 'london-batch', cron: '45 */2 * * * *', duration_ms: 25000, fail_percent: 20, zone: 'Europe/London' },
          { name: 'report', cron: '15 * * * * *', duration_ms: 8000, fail_percent: 10 },
        ],
      },
      [[30_000, 'crash_leader']],
      150_000,
    ),
  );
  try {
    await pausedState(zoned.page);
    await byId(zoned.page, 'heatmap-zone').selectOption('America/New_York');
    await page_heatZone(zoned.page, 'America/New_York');
    const collisions = await zoned.page.locator('[data-testid="heatmap"] .scheduler-heat .scheduler-cell.collision').count();
    assert.equal(collisions, 5, 'weekdays at 09:00 New York time');
    await screenshot(zoned.page, 'scheduler-zones-1280');
  } finally {
    await finish(zoned);
  }
  const dup = await open(made({ ...SMALL, fencing: false }, STALE_LEADER, 40_000));
  try {
    await pausedState(dup.page);
    await byId(dup.page, 'duplicate-detail').waitFor();
    await screenshot(dup.page, 'scheduler-duplicate-1280');
  } finally {
    await finish(dup);
  }
});
