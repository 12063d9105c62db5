// Miss-ratio-curve benchmark: in headless Chromium, opens the cache lab's "Miss-ratio curves"
// panel, loads a trace file from disk, ticks every policy (and OPT), computes the curves and
// reports the wall time the page shows, with how smooth the page stayed meanwhile.
//
// Usage (from the repository root, after `source scripts/env.sh; trunk build --release`):
//
//   node scripts/bench-mrc.mjs [--trace ../shared/data/cache/OLTP.lis.gz] [--format arc]
//                              [--max 15000] [--dist DIR | --base-url URL] [--json]
//
// Without --base-url it serves dist/ (or --dist DIR) with tests/e2e/static-server.mjs on a free
// port of 127.0.0.1. The curves have 16 capacities evenly spaced up to --max (capped by the
// trace's distinct keys). Figures:
// - computed in: the panel's own figure (data-testid="mrc-time"), performance.now() from the
//   click on Compute to the last slice, reading and parsing the trace included;
// - frame gaps: the gaps between this script's requestAnimationFrame callbacks while the job ran
//   (p50/p95/max), and long tasks (over 50 ms) from a PerformanceObserver.
// It prints figures and exits 0; it asserts no timing.

import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_PATH = process.env.ORRERY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const POLICIES = ['lru', 'fifo', 'clock', 'lfu', '2q', 'arc', 'sieve', 'lirs', 's3fifo', 'wtinylfu', 'opt'];

function parseArgs(argv) {
  const opts = {
    trace: join(ROOT, '../shared/data/cache/OLTP.lis.gz'),
    format: 'arc',
    max: 15000,
    dist: join(ROOT, 'dist'),
    baseUrl: null,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--trace') opts.trace = resolve(value());
    else if (a === '--format') opts.format = value();
    else if (a === '--max') opts.max = Number(value());
    else if (a === '--dist') opts.dist = value();
    else if (a === '--base-url') opts.baseUrl = value();
    else if (a === '--json') opts.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.max >= 1)) throw new Error('--max must be a positive number');
  return opts;
}

/** Serves the built site on a free port; resolves to { url, stop }. */
function serveDist(dist) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'tests/e2e/static-server.mjs'), dist, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`the static server for ${dist} did not start within 10 s`));
    }, 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/^listening (http\S+)$/m);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], stop: () => child.kill() });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the static server exited (${code}) before listening`));
    });
  });
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { n: sorted.length, p50: at(50), p95: at(95), max: sorted.at(-1) };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const server = opts.baseUrl ? null : await serveDist(opts.dist);
  const baseUrl = (opts.baseUrl ?? server.url).replace(/\/?$/, '/');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(600_000);
    await page.goto(new URL('#/cache', baseUrl).href);
    const byId = (id) => page.locator(`[data-testid="${id}"]`);
    await byId('mrc-open').click();
    await byId('mrc-file').setInputFiles(opts.trace);
    await byId('mrc-file-name').waitFor();
    await byId('mrc-format').selectOption(opts.format);
    for (const p of POLICIES) {
      const box = byId(`mrc-policy-${p}`);
      if (!(await box.isChecked())) await box.click();
    }
    await byId('mrc-max').fill(String(opts.max));
    await page.evaluate(() => {
      window.__gaps = [];
      window.__long = [];
      window.__watch = true;
      new PerformanceObserver((list) => window.__long.push(...list.getEntries().map((e) => e.duration))).observe({ entryTypes: ['longtask'] });
      let last = performance.now();
      const tick = (now) => {
        window.__gaps.push(now - last);
        last = now;
        if (window.__watch) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const wall0 = Date.now();
    await byId('mrc-run').click();
    await byId('mrc-chart').waitFor();
    const wall = Date.now() - wall0;
    const { gaps, long } = await page.evaluate(() => {
      window.__watch = false;
      return { gaps: window.__gaps.slice(1), long: window.__long };
    });
    const time = byId('mrc-time');
    const result = {
      trace: opts.trace,
      format: opts.format,
      policies: POLICIES.length,
      source: (await page.locator('.mrc-result p').textContent()).trim(),
      computed_ms: Number(await time.getAttribute('data-ms')),
      wall_ms_seen_by_script: wall,
      frame_gaps_ms: summary(gaps),
      long_tasks_ms: long.map((d) => Math.round(d)),
      final_hit_ratios: await byId('mrc-legend').textContent(),
    };
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(result.source);
      console.log(`all ${POLICIES.length} policies at 16 capacities: computed in ${result.computed_ms} ms (script saw ${wall} ms)`);
      const g = result.frame_gaps_ms;
      console.log(`frame gaps while computing: n=${g.n} p50=${g.p50?.toFixed(1)} p95=${g.p95?.toFixed(1)} max=${g.max?.toFixed(1)} ms`);
      console.log(`long tasks (>50 ms): ${result.long_tasks_ms.length ? result.long_tasks_ms.join(', ') + ' ms' : 'none'}`);
      console.log(`at the largest capacity: ${result.final_hit_ratios}`);
    }
  } finally {
    await browser.close();
    server?.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
