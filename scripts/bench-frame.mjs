// Frame-cost benchmark: plays a lab in headless Chromium at 1280×800 and reports what each frame
// costs the page's main thread and how many frames a second it draws.
//
// Usage (from the repository root, after `trunk build --release` has filled dist/):
//
//   node scripts/bench-frame.mjs [--lab elevator|collab] [--link FRAGMENT] [--speed N] [--seconds 10]
//                                [--dist DIR | --base-url URL] [--profile] [--json]
//
// Each lab has a built-in benchmark scenario, played at its own default speed:
// - elevator: 40 floors, 8 cars, up-peak (the first scenario of core/src/bench.rs), at 50×;
// - collab: 8 clients with 8 scripted typists at 10 characters per second each, no pauses,
//   texts up to 2,000 characters (issue 3: "the page stays responsive while 8 scripted typists
//   type"), at 1×.
// The scenario's share link comes from the runner (`cargo run --release --bin orrery -- link LAB
// --scenario FILE`). --link plays any share link instead (`/collab?s=…`, `#/collab?s=…` or a
// whole address); the lab is the link's, and the heading shows the link's scenario.
// Without --base-url it serves the built site (dist/, or --dist DIR) itself with
// tests/e2e/static-server.mjs on a free port of 127.0.0.1. scripts/bench.sh runs it for both labs.
//
// What it measures, over --seconds of wall time after a one-second warm-up:
// - main-thread time per frame (the headline, with the frame rate: together they are what
//   "responsive" means) from the DevTools protocol (Performance.getMetrics): all tasks, which
//   counts everything the page's thread did (script, style, layout, paint, the browser's own
//   work around the frame), and of that script and style+layout; divided by the frames drawn;
// - frame rate: the gaps between this script's own requestAnimationFrame callbacks;
// - frame cost: the app records, for every animation frame, the milliseconds from the start of
//   its requestAnimationFrame callback (advance the run) to the end of Yew's render of that
//   frame, in `window.__orreryFrameMs` (web/src/hooks.rs); p50/p95/max of those;
//   the synchronous part of each callback (the advance; Yew renders in a microtask after it) is
//   timed by wrapping window.requestAnimationFrame, and render is the rest; style, layout and
//   paint come after it and are not in it;
// - long tasks (over 50 ms) from a PerformanceObserver;
// - the simulated time the lab advanced, as a check that it really played at the chosen speed.
// With --profile it then plays on for a few seconds more under the DevTools tracer and CPU
// profiler and prints where the main thread's time went: by category (script, style, layout,
// paint and compositing, other) per frame, the functions with the most self time (wasm
// functions by name), the DOM nodes of each panel and the DOM mutations per frame by panel
// (a MutationObserver). Profiling slows the page: its figures are shares, not the headline.
// It prints figures and exits 0; it asserts no timing (the targets are for people: all tasks
// under 16 ms per frame and about 60 fps).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
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

/** Each lab's benchmark: its scenario, what the heading calls it, and its default speed. */
const BENCHMARKS = {
  elevator: {
    // The same as the first scenario of core/src/bench.rs.
    scenario: {
      floors: 40,
      cars: 8,
      capacities: [16],
      capacity_kg: 1250,
      traffic: { pattern: 'up_peak', per_hour: 2000 },
    },
    title: '40 floors, 8 cars, up-peak',
    speed: 50,
  },
  collab: {
    // Issue 3: 8 scripted typists at 10 characters per second each, with CRDT presence (carets
    // sent over the peer links and drawn in every editor) as in a new scenario.
    scenario: { clients: 8, typists: 8, typing_cps: 10, pause_ms: 0, max_len: 2000, crdt_presence: true },
    title: '8 clients, 8 scripted typists at 10 chars/s each, no pauses, texts up to 2,000 chars, CRDT presence on',
    speed: 1,
  },
};

function parseArgs(argv) {
  const opts = { lab: null, seconds: 10, speed: null, link: null, dist: join(ROOT, 'dist'), baseUrl: null, profile: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--lab') opts.lab = value();
    else if (a === '--seconds') opts.seconds = Number(value());
    else if (a === '--speed') opts.speed = Number(value());
    else if (a === '--link') opts.link = value().replace(/^[^#]*#/, '');
    else if (a === '--dist') opts.dist = value();
    else if (a === '--base-url') opts.baseUrl = value();
    else if (a === '--profile') opts.profile = true;
    else if (a === '--json') opts.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.seconds > 0)) throw new Error('--seconds must be a positive number');
  if (opts.speed !== null && !(opts.speed > 0)) throw new Error('--speed must be a positive number');
  if (opts.link !== null) {
    // A fragment reads `/collab?s=…` (the page's route is `#/collab?s=…`).
    const m = opts.link.match(/^\/?([a-z0-9_-]+)\?s=/);
    if (!m) throw new Error(`--link ${opts.link} is not a share link (expected /<lab>?s=…)`);
    if (opts.lab !== null && opts.lab !== m[1]) throw new Error(`--lab ${opts.lab} but the link is a ${m[1]} link`);
    opts.lab = m[1];
  }
  opts.lab ??= 'elevator';
  const bench = BENCHMARKS[opts.lab];
  if (!bench && opts.link === null) {
    throw new Error(`no built-in benchmark for lab '${opts.lab}'; choose from ${Object.keys(BENCHMARKS).join(', ')} or pass --link`);
  }
  opts.speed ??= bench?.speed ?? 1;
  return opts;
}

/** The share-link fragment of a lab's benchmark scenario, from the headless runner. */
function benchmarkLink(lab) {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-bench-'));
  try {
    const file = join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify(BENCHMARKS[lab].scenario));
    const out = execFileSync(
      'cargo',
      ['run', '--quiet', '--release', '--bin', 'orrery', '--', 'link', lab, '--scenario', file],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return out.trim().replace(/^[^#]*#/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a link plays, for the heading: its scenario's fields as JSON and how many inputs it
 * carries, read from the link itself (`<version>.<base64url(deflate(json))>`).
 */
function describeLink(fragment) {
  try {
    const body = fragment.split('?s=')[1].split('.').slice(1).join('.');
    const payload = JSON.parse(inflateRawSync(Buffer.from(body, 'base64url')).toString('utf8'));
    const inputs = payload.inputs?.length ?? 0;
    // Long strings (a user script) are cut so the heading stays one readable line.
    const cut = (_, v) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 37)}…` : v);
    return `link scenario ${JSON.stringify(payload.scenario, cut)}${inputs ? `, ${inputs} inputs` : ''}`;
  } catch (err) {
    return `a link that could not be read here (${err.message})`;
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

/**
 * The page's panels for the profile's DOM counts and mutations, most specific first: a node
 * counts for the first panel it lies in. Panels a page does not have are left out.
 */
const PANELS = [
  ['head and share', '.lab-head'],
  ['transport and seek bar', '.controls'],
  ['invariant strip', '.invariants'],
  ['collab: metrics and status', '.collab > .collab-top'],
  ['collab: client cards', '.collab-clients'],
  ['collab: network', '.collab-net'],
  ['collab: steps, items, causal graph', '.collab-panels'],
  ['collab: live tabs', '.collab-live'],
  ['lab drawing (rest)', '.stage'],
  ['faults', '.faults'],
  ['metrics panel', '.metrics'],
  ['event log', '.log-panel'],
  ['scenario form', '.scenario'],
];

/** How long --profile records, in wall milliseconds. */
const PROFILE_MS = 4000;

/**
 * The category of a trace event by its name, or null when the name does not say (it then
 * counts for the event it is nested in).
 */
function traceCategory(name) {
  if (/^(FunctionCall|EvaluateScript|v8\.|V8\.|RunMicrotasks|TimerFire|FireAnimationFrame|EventDispatch|MinorGC|MajorGC|BlinkGC|CompileScript|CompileCode|WebAssembly|wasm)/.test(name)) return 'script';
  if (/(UpdateLayoutTree|RecalculateStyles|recalcStyle|RecalcStyle|StyleEngine|ParseAuthorStyleSheet)/.test(name)) return 'style';
  if (/(Layout|layout|InlineNode|ShapeText|LayoutBlock)/.test(name)) return 'layout';
  if (/(Paint|Composit|Layerize|UpdateLayer|BeginMainFrame|Commit|commit|Raster|Decode|HitTest|ScrollLayer)/.test(name)) return 'paint and compositing';
  return null;
}

/**
 * Plays on for PROFILE_MS under the DevTools tracer and the CPU profiler, with a
 * MutationObserver counting DOM changes by panel; returns per-frame shares of the main thread
 * by category, the functions with the most self time, and DOM node counts per panel.
 */
async function profileFrames(page, cdp) {
  const dom = await page.evaluate((panels) => {
    const count = (root) => {
      let n = 0;
      const walk = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
      while (walk.nextNode()) n++;
      return n;
    };
    const out = { document: count(document.body), panels: [] };
    for (const [name, sel] of panels) {
      const els = [...document.querySelectorAll(sel)];
      if (els.length) out.panels.push({ name, nodes: els.reduce((s, e) => s + count(e), 0) });
    }
    // Mutations by panel, and frames, until the profile ends.
    const probe = { frames: 0, records: {}, added: {}, removed: {}, stop: false };
    window.__benchMutations = probe;
    const panelOf = (node) => {
      const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
      if (!el) return 'detached';
      for (const [name, sel] of panels) if (el.closest(sel)) return name;
      return 'elsewhere';
    };
    const bump = (map, k, v) => (map[k] = (map[k] ?? 0) + v);
    probe.observer = new MutationObserver((records) => {
      for (const r of records) {
        const p = panelOf(r.target);
        bump(probe.records, p, 1);
        bump(probe.added, p, r.addedNodes.length);
        bump(probe.removed, p, r.removedNodes.length);
      }
    });
    probe.observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    const tick = () => {
      probe.frames++;
      if (!probe.stop) window.__benchRaf(tick);
    };
    window.__benchRaf(tick);
    return out;
  }, PANELS);

  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'cc'] },
  });
  await cdp.send('Profiler.start');
  await page.waitForTimeout(PROFILE_MS);
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Tracing.end');
  await done;
  const mutations = await page.evaluate(() => {
    const p = window.__benchMutations;
    p.stop = true;
    p.records = { ...p.records };
    for (const r of p.observer.takeRecords()) p.records.pending = (p.records.pending ?? 0) + 1;
    p.observer.disconnect();
    return { frames: p.frames, records: p.records, added: p.added, removed: p.removed };
  });

  // Self time of the trace's complete events on the renderer's main thread, by category.
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  const mainKey = [...names].find(([, n]) => n === 'CrRendererMain')?.[0];
  const main = events
    .filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === mainKey && typeof e.dur === 'number')
    .sort((x, y) => x.ts - y.ts || y.dur - x.dur);
  const byCategory = {};
  const byEvent = {};
  let traced = 0;
  const stack = [];
  const close = (upTo) => {
    while (stack.length && stack.at(-1).end <= upTo) {
      const done = stack.pop();
      const self = done.dur - done.children;
      byCategory[done.cat] = (byCategory[done.cat] ?? 0) + self;
      byEvent[done.name] = (byEvent[done.name] ?? 0) + self;
    }
  };
  for (const e of main) {
    close(e.ts);
    const parent = stack.at(-1);
    if (parent) parent.children += e.dur;
    else traced += e.dur;
    const cat = traceCategory(e.name) ?? parent?.cat ?? 'other';
    stack.push({ name: e.name, cat, dur: e.dur, end: e.ts + e.dur, children: 0 });
  }
  close(Infinity);
  const frames = Math.max(1, mutations.frames);
  const perFrame = (us) => us / 1000 / frames;
  const sorted = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]);

  // Self time by function from the CPU profile's samples.
  const selfUs = new Map();
  const bySource = {};
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  (profile.samples ?? []).forEach((id, i) => {
    const n = nodes.get(id);
    const fn = n.callFrame.functionName || '(anonymous)';
    const where = n.callFrame.url ? ` ${n.callFrame.url.split('/').pop()}` : '';
    const key = `${fn}${where}`;
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
    const url = n.callFrame.url ?? '';
    const source = url.endsWith('.wasm')
      ? 'wasm (the app)'
      : url.endsWith('.js')
        ? 'JS (bindings and the bench probes)'
        : fn.startsWith('(')
          ? fn
          : 'browser built-ins (DOM calls)';
    bySource[source] = (bySource[source] ?? 0) + us;
  });
  const sampled = [...selfUs.values()].reduce((s, v) => s + v, 0);
  return {
    frames,
    seconds: PROFILE_MS / 1000,
    main_thread_ms_per_frame: perFrame(traced),
    categories_ms_per_frame: Object.fromEntries(sorted(byCategory).map(([k, v]) => [k, perFrame(v)])),
    top_events_ms_per_frame: Object.fromEntries(sorted(byEvent).slice(0, 12).map(([k, v]) => [k, perFrame(v)])),
    profile_ms_per_frame_by_source: Object.fromEntries(sorted(bySource).map(([k, v]) => [k, perFrame(v)])),
    top_functions: sorted(Object.fromEntries(selfUs))
      .filter(([k]) => k !== '(idle)')
      .slice(0, 25)
      .map(([name, us]) => ({ name, ms_per_frame: perFrame(us), share: us / Math.max(1, sampled) })),
    dom_nodes: dom,
    mutations_per_frame: Object.fromEntries(
      sorted(mutations.records).map(([k, v]) => [
        k,
        { records: v / frames, added: (mutations.added[k] ?? 0) / frames, removed: (mutations.removed[k] ?? 0) / frames },
      ]),
    ),
  };
}

function printProfile(p, f) {
  console.log(`  profile (${p.seconds} s more under the tracer and profiler, ${p.frames} frames; slower than above):`);
  console.log(`    main thread per frame (traced): ${f(p.main_thread_ms_per_frame)} ms; self time by category:`);
  console.log(`      ${Object.entries(p.categories_ms_per_frame).map(([k, v]) => `${k} ${f(v)} ms`).join(', ')}`);
  console.log(`    trace events with the most self time, ms per frame:`);
  console.log(`      ${Object.entries(p.top_events_ms_per_frame).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
  console.log('    CPU profile self time per frame by source ("(program)" is the browser\'s own work: style, layout, paint):');
  console.log(`      ${Object.entries(p.profile_ms_per_frame_by_source).map(([k, v]) => `${k} ${f(v)} ms`).join(', ')}`);
  console.log('    functions with the most self time (CPU profile), ms per frame and share of samples:');
  for (const t of p.top_functions) console.log(`      ${f(t.ms_per_frame).padStart(6)} ms ${(100 * t.share).toFixed(1).padStart(5)}%  ${t.name}`);
  console.log(`    DOM nodes (elements and text): ${p.dom_nodes.document} in the page; by panel:`);
  console.log(`      ${p.dom_nodes.panels.map((x) => `${x.name} ${x.nodes}`).join(', ')}`);
  console.log('    DOM mutations per frame by panel (records; nodes added/removed):');
  for (const [k, v] of Object.entries(p.mutations_per_frame)) {
    console.log(`      ${k}: ${v.records.toFixed(1)} (${v.added.toFixed(1)}/${v.removed.toFixed(1)})`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const link = opts.link ?? benchmarkLink(opts.lab);
  const what = `${opts.lab} lab, ${opts.link ? describeLink(link) : BENCHMARKS[opts.lab].title}`;
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
    const profile = opts.profile ? await profileFrames(page, cdp) : null;
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
      lab: opts.lab,
      measured: what,
      link,
      speed: opts.speed,
      wall_s: wall,
      simulated_s: simEnd - simStart,
      effective_speed: (simEnd - simStart) / wall,
      still_playing: stillPlaying,
      main_thread_ms_per_frame: {
        all_tasks: perFrame('TaskDuration'),
        script: perFrame('ScriptDuration'),
        style_and_layout: perFrame('RecalcStyleDuration') + perFrame('LayoutDuration'),
      },
      fps: frames / wall,
      frame_gap_ms: gaps,
      frame_cost_ms: cost,
      advance_ms: advance,
      render_ms: render,
      long_tasks: probe.longTasks,
      profile,
      errors,
    };
    if (opts.json) {
      console.log(JSON.stringify(result));
    } else {
      const f = (v) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
      const m = result.main_thread_ms_per_frame;
      console.log(`${what}; played at ${opts.speed}× for ${wall.toFixed(1)} s wall at 1280×800`);
      console.log(
        `  main thread per frame: all tasks ${f(m.all_tasks)} ms (script ${f(m.script)} ms, style+layout ${f(m.style_and_layout)} ms); ${result.fps.toFixed(1)} fps`,
      );
      console.log(
        `  frame gaps (rAF): p50 ${f(gaps.p50)} ms, p95 ${f(gaps.p95)} ms, max ${f(gaps.max)} ms; long tasks (> 50 ms) ${probe.longTasks}`,
      );
      console.log(
        `  frame cost (advance + render, in the app): p50 ${f(cost.p50)} ms, p95 ${f(cost.p95)} ms, max ${f(cost.max)} ms, mean ${f(cost.mean)} ms over ${cost.n} frames`,
      );
      console.log(
        `    of which advance: p50 ${f(advance.p50)} ms, p95 ${f(advance.p95)} ms, max ${f(advance.max)} ms` +
          (render ? `; render: p50 ${f(render.p50)} ms, p95 ${f(render.p95)} ms, max ${f(render.max)} ms` : ''),
      );
      console.log(
        `  simulated ${f(result.simulated_s)} s in ${wall.toFixed(1)} s wall: ${result.effective_speed.toFixed(2)}× (playing at the end: ${stillPlaying})`,
      );
      if (profile) printProfile(profile, f);
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
