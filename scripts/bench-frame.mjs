// Frame-cost benchmark: plays the elevator lab (40 floors, 8 cars, up-peak) at 50× in headless Chromium and reports what each frame costs.
//
// Usage (from the repository root, after `trunk build --release` has filled dist/):
//
//   node scripts/bench-frame.mjs [--seconds 10] [--speed 50] [--link FRAGMENT] [--dist DIR | --base-url URL] [--json]
//
// Without --base-url it serves the built site (dist/, or --dist DIR) itself with
// tests/e2e/static-server.mjs on a free port of 127.0.0.1. Without --link it writes the benchmark scenario to a temporary file and asks the
// runner for its share link (`cargo run --release --bin orrery -- link elevator --scenario FILE`).
// scripts/bench.sh runs it after building the site.
//
// What it measures, over --seconds of wall time after a one-second warm-up:
// - frame cost: the app records, for every animation frame, the milliseconds from the start of
//   its requestAnimationFrame callback (advance the run) to the end of Yew's render of that
//   frame, in `window.__orreryFrameMs` (web/src/hooks.rs); p50/p95/max of those;
//   the synchronous part of each callback (the advance; Yew renders in a microtask after it) is
//   timed by wrapping window.requestAnimationFrame, and render is the rest;
// - frame rate: the gaps between this script's own requestAnimationFrame callbacks;
// - long tasks (over 50 ms) from a PerformanceObserver;
// - main-thread time per frame from the DevTools protocol (Performance.getMetrics): script,
//   style and layout, and all tasks, which also counts the browser's own work around the frame;
// - the simulated time the lab advanced, as a check that it really played at the chosen speed.
// It prints figures and exits 0; it asserts no timing (the target, under 8 ms, is for people).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_PATH = process.env.ORRERY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The benchmark building: the same as the first scenario of core/src/bench.rs. */
const SCENARIO = {
  floors: 40,
  cars: 8,
  capacities: [16],
  capacity_kg: 1250,
  traffic: { pattern: 'up_peak', per_hour: 2000 },
};

function parseArgs(argv) {
  const opts = { seconds: 10, speed: 50, link: null, dist: join(ROOT, 'dist'), baseUrl: null, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seconds') opts.seconds = Number(value());
    else if (a === '--speed') opts.speed = Number(value());
    else if (a === '--link') opts.link = value().replace(/^[^#]*#/, '');
    else if (a === '--dist') opts.dist = value();
    else if (a === '--base-url') opts.baseUrl = value();
    else if (a === '--json') opts.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.seconds > 0)) throw new Error('--seconds must be a positive number');
  return opts;
}

/** The share-link fragment of the benchmark scenario, from the headless runner. */
function benchmarkLink() {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-bench-'));
  try {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify(SCENARIO));
    const out = execFileSync(
      'cargo',
      ['run', '--quiet', '--release', '--bin', 'orrery', '--', 'link', 'elevator', '--scenario', file],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return out.trim().replace(/^[^#]*#/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Serves the built site on a free port; resolves to { url, stop }. */
function serveDist(dist) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'tests/e2e/static-server.mjs'), dist, '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the static server for ${dist} did not start within 10 s`));
    }, 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/^listening (http\S+)$/m);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => child.kill() });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the static server exited (${code}) before listening`));
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN, mean };
}

/** Seconds shown by the lab's clock, e.g. "123.456s". */
async function simulatedSeconds(page) {
  const text = await page.locator('[data-testid=time]').textContent();
  return Number.parseFloat(text);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const link = opts.link ?? benchmarkLink();
  const server = opts.baseUrl ? null : await serveDist(opts.dist);
  const baseUrl = (opts.baseUrl ?? server.url).replace(/\/?$/, '/');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    page.on('pageerror', (err) => errors.push(err.message));
    await page.addInitScript(() => {
      window.__orreryStarted = false;
      window.addEventListener('OrreryStarted', () => {
        window.__orreryStarted = true;
      });
      // Times the synchronous part of every animation-frame callback the app registers: the
      // advance (Yew's reducer runs at once; its render follows in a microtask). The probe
      // below uses the unwrapped function.
      const raf = window.requestAnimationFrame.bind(window);
      window.__benchRaf = raf;
      window.__benchAdvanceMs = [];
      window.requestAnimationFrame = (callback) =>
        raf((now) => {
          const start = performance.now();
          try {
            callback(now);
          } finally {
            window.__benchAdvanceMs.push(performance.now() - start);
          }
        });
    });
    await page.goto(`${baseUrl}#${link}`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.__orreryStarted === true, null, { timeout: 30000 }).catch((err) => {
      throw new Error(`the app did not start (${err.message})${errors.length ? `; page errors: ${errors.join(' | ')}` : ''}`);
    });
    await page.locator('[data-testid=play]').waitFor();
    if (await page.locator('.error-banner').count()) {
      throw new Error(`the lab did not open the link: ${await page.locator('.error-banner').textContent()}`);
    }
    await page.locator('[data-testid=speed]').selectOption({ label: `${opts.speed}×` });
    await page.locator('[data-testid=play]').click();
    await page.waitForTimeout(1000);

    // The page's own probes: rAF gaps and long tasks; the app's frame costs start afresh.
    await page.evaluate(() => {
      window.__orreryFrameMs = [];
      window.__benchAdvanceMs = [];
      const probe = { gaps: [], longTasks: 0, last: null, stop: false };
      window.__benchProbe = probe;
      const tick = (now) => {
        if (probe.last !== null) probe.gaps.push(now - probe.last);
        probe.last = now;
        if (!probe.stop) window.__benchRaf(tick);
      };
      window.__benchRaf(tick);
      try {
        new PerformanceObserver((list) => {
          probe.longTasks += list.getEntries().length;
        }).observe({ type: 'longtask' });
      } catch {
        probe.longTasks = NaN;
      }
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metricsAt = async () =>
      Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const before = await metricsAt();
    const simStart = await simulatedSeconds(page);
    const wallStart = Date.now();

    // Drain the app's rolling window twice a second so no frame falls out of it.
    const costs = [];
    const advances = [];
    const drain = async () => {
      const [c, a] = await page.evaluate(() => [window.__orreryFrameMs.splice(0), window.__benchAdvanceMs.splice(0)]);
      costs.push(...c);
      advances.push(...a);
    };
    while (Date.now() - wallStart < opts.seconds * 1000) {
      await page.waitForTimeout(Math.min(500, opts.seconds * 1000 - (Date.now() - wallStart)));
      await drain();
    }
    const wall = (Date.now() - wallStart) / 1000;
    const simEnd = await simulatedSeconds(page);
    const after = await metricsAt();
    const probe = await page.evaluate(() => {
      window.__benchProbe.stop = true;
      return { gaps: window.__benchProbe.gaps, longTasks: window.__benchProbe.longTasks };
    });
    const stillPlaying = (await page.locator('[data-testid=play]').getAttribute('aria-pressed')) === 'true';
    await context.close();

    const cost = summary(costs);
    const advance = summary(advances);
    // Both lists hold one entry per app frame, in order; a frame caught between two drains may
    // have its advance in one and its cost in the next, so only equal lengths are paired.
    const render = costs.length === advances.length ? summary(costs.map((c, i) => c - advances[i])) : null;
    const gaps = summary(probe.gaps);
    const frames = probe.gaps.length;
    const perFrame = (name) => ((after[name] - before[name]) * 1000) / Math.max(1, frames);
    const result = {
      speed: opts.speed,
      wall_s: wall,
      simulated_s: simEnd - simStart,
      effective_speed: (simEnd - simStart) / wall,
      still_playing: stillPlaying,
      frame_cost_ms: cost,
      advance_ms: advance,
      render_ms: render,
      fps: frames / wall,
      frame_gap_ms: gaps,
      long_tasks: probe.longTasks,
      main_thread_ms_per_frame: {
        script: perFrame('ScriptDuration'),
        style_and_layout: perFrame('RecalcStyleDuration') + perFrame('LayoutDuration'),
        all_tasks: perFrame('TaskDuration'),
      },
      errors,
    };
    if (opts.json) {
      console.log(JSON.stringify(result));
    } else {
      const f = (v) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
      const m = result.main_thread_ms_per_frame;
      console.log(`elevator lab, 40 floors, 8 cars, up-peak, ${opts.speed}×, ${wall.toFixed(1)} s wall, 1280×800`);
      console.log(
        `  frame cost (advance + render): p50 ${f(cost.p50)} ms, p95 ${f(cost.p95)} ms, max ${f(cost.max)} ms, mean ${f(cost.mean)} ms over ${cost.n} frames`,
      );
      console.log(
        `    of which advance: p50 ${f(advance.p50)} ms, p95 ${f(advance.p95)} ms, max ${f(advance.max)} ms` +
          (render ? `; render: p50 ${f(render.p50)} ms, p95 ${f(render.p95)} ms, max ${f(render.max)} ms` : ''),
      );
      console.log(
        `  frame rate: ${result.fps.toFixed(1)} fps; rAF gap p50 ${f(gaps.p50)} ms, p95 ${f(gaps.p95)} ms, max ${f(gaps.max)} ms; long tasks ${probe.longTasks}`,
      );
      console.log(
        `  main thread per frame (DevTools): script ${f(m.script)} ms, style+layout ${f(m.style_and_layout)} ms, all tasks ${f(m.all_tasks)} ms`,
      );
      console.log(
        `  simulated ${f(result.simulated_s)} s in ${wall.toFixed(1)} s wall: ${result.effective_speed.toFixed(1)}× (playing at the end: ${stillPlaying})`,
      );
      if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
    }
  } finally {
    await browser.close();
    server?.stop();
  }
}

main().catch((err) => {
  console.error(`bench-frame: ${err.message}`);
  process.exit(1);
});
