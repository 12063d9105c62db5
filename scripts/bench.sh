#!/usr/bin/env bash
# Runs Orrery's benchmarks and prints a compact summary: simulation speed natively and in wasm, first-load gzip size, frame cost.
#
# Usage: bash scripts/bench.sh [native] [wasm] [size] [frame]
# With no arguments it runs all four, in that order:
#   native  cargo bench -p orrery-core --bench elevator
#   wasm    cargo test --release --target wasm32-unknown-unknown -p orrery-core --test wasm_bench -- --nocapture
#           (the same scenarios in headless Chromium; the summary adds the wasm/native time ratio)
#   size    trunk build --release, then the gzip -9 size of what a first visit of each page loads
#           (index.html, the CSS, and that page's one bundle: home or lab-<id>, .js and _bg.wasm)
#   frame   node scripts/bench-frame.mjs for two labs: elevator (40 floors, 8 cars, up-peak) at
#           50×, and collab (8 clients, 8 scripted typists at 10 chars/s each) at 1×; main-thread
#           time per frame, frame rate and frame cost over BENCH_FRAME_SECONDS (10) of wall time
#           each; it needs the built site, so it builds it when `size` is not also asked for and
#           none is there.
# BENCH_DIST (default dist) is where the site is built and served from; set it to a private
# directory, e.g. target/bench-dist, when other work uses dist/ at the same time.
# Benchmarks report figures and never fail on timings; the targets shown are from DESIGN.md and
# issue 2. A benchmark that cannot run is marked FAILED in the summary and the exit status is 1.
# Timings on a busy machine vary a lot: run it when nothing else is building.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "${ORRERY_ROOT}"

dist="${BENCH_DIST:-dist}"
frame_seconds="${BENCH_FRAME_SECONDS:-10}"

want=("$@")
[ "${#want[@]}" -gt 0 ] || want=(native wasm size frame)
for w in "${want[@]}"; do
  case "${w}" in
    native | wasm | size | frame) ;;
    *) orrery_die "unknown benchmark '${w}'; choose from native, wasm, size, frame" ;;
  esac
done

# True when benchmark $1 was asked for.
wants() {
  local w
  for w in "${want[@]}"; do [ "${w}" = "$1" ] && return 0; done
  return 1
}

out_dir="$(mktemp -d)"
trap 'rm -rf "${out_dir}"' EXIT
summary=()
failed=0

# Runs a command with a header, copying its standard output to $out_dir/$1.txt; returns its status.
run_logged() {
  local name="$1"
  shift
  orrery_header "${name}: $*"
  local rc=0
  "$@" | tee "${out_dir}/${name}.txt" || rc=$?
  return "${rc}"
}

# Prints the benchmark lines ("NAME  123.4 ms wall for ... × real time") of a bench's output.
figure_lines() {
  grep -E ' ms wall for .* real time$' "$1" || true
}

# Appends each line of standard input to the summary, indented by $1.
add_lines() {
  local line
  while IFS= read -r line; do summary+=("$1${line}"); done
}

# Builds the site into $dist and checks that the wasm it wrote is a wasm module.
build_site() {
  trunk build --release --dist "${dist}" || return 1
  local wasm
  for wasm in "${dist}"/*.wasm; do
    if [ "$(head -c 4 "${wasm}" | od -An -tx1 | tr -d ' \n')" != "0061736d" ]; then
      printf 'error: %s is not a wasm module (another build wrote it at the same time?)\n' "${wasm}" >&2
      return 1
    fi
  done
}

if wants native; then
  summary+=("Simulation speed, native (target ≥ 10,000× real time):")
  if run_logged native cargo bench -p orrery-core --bench elevator; then
    add_lines "  " < <(figure_lines "${out_dir}/native.txt")
  else
    summary+=("  FAILED (see above)")
    failed=1
  fi
fi

if wants wasm; then
  summary+=("Simulation speed, wasm in headless Chromium (target: within 2× of native):")
  if run_logged wasm cargo test --release --target wasm32-unknown-unknown -p orrery-core \
    --test wasm_bench -- --nocapture; then
    add_lines "  " < <(figure_lines "${out_dir}/wasm.txt")
    if [ -s "${out_dir}/native.txt" ]; then
      summary+=("  wasm time / native time:")
      # Pairs the lines by scenario name (the text before the wall time) and divides the times.
      add_lines "    " < <(
        awk '
          { split($0, parts, / +[0-9.]+ ms wall/); name = parts[1]
            match($0, /[0-9.]+ ms wall/); ms = substr($0, RSTART, RLENGTH - 8) + 0 }
          FNR == NR { native[name] = ms; next }
          name in native && native[name] > 0 { printf "%-44s %5.2f×\n", name, ms / native[name] }
        ' <(figure_lines "${out_dir}/native.txt") <(figure_lines "${out_dir}/wasm.txt")
      )
    fi
  else
    summary+=("  FAILED (see above)")
    failed=1
  fi
fi

site_ok=1
if wants size || { wants frame && [ ! -f "${dist}/index.html" ]; }; then
  orrery_header "site: trunk build --release --dist ${dist}"
  build_site || site_ok=0
fi

if wants size; then
  if [ "${site_ok}" -eq 1 ]; then
    # Every page loads index.html, the stylesheet and exactly one bundle (home or lab-<id>),
    # chosen by the loader in index.html; each page's first load is reported on its own.
    gz() { gzip -9 -c "$1" | wc -c; }
    shared=$(($(gz "${dist}/index.html") + $(cat "${dist}"/*.css | gzip -9 -c | wc -c)))
    summary+=("First load per page, gzip -9 (target < 400 KB each; index.html + CSS = ${shared} bytes):")
    shopt -s nullglob
    for wasm in "${dist}"/*_bg.wasm; do
      bundle="$(basename "${wasm}" _bg.wasm)"
      js=$(gz "${dist}/${bundle}.js")
      w=$(gz "${wasm}")
      total=$((shared + js + w))
      summary+=("$(printf '  %-14s %7d bytes = %4d kB  (wasm %d raw, %d gzip; js %d gzip)' "${bundle}" "${total}" "$((total / 1000))" "$(wc -c <"${wasm}")" "${w}" "${js}")")
    done
    shopt -u nullglob
  else
    summary+=("First load, gzip -9: FAILED (the site did not build)")
    failed=1
  fi
fi

if wants frame; then
  summary+=("Frame cost in headless Chromium (target: main thread under 16 ms per frame, ~60 fps):")
  for lab in elevator collab; do
    if [ "${site_ok}" -eq 1 ] &&
      run_logged "frame-${lab}" node scripts/bench-frame.mjs --lab "${lab}" --seconds "${frame_seconds}" --dist "${dist}"; then
      add_lines "  " <"${out_dir}/frame-${lab}.txt"
    else
      summary+=("  ${lab}: FAILED (see above)")
      failed=1
    fi
  done
fi

printf '\nSummary (load average at the end: %s)\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
printf '%s\n' "${summary[@]}"
exit "${failed}"
