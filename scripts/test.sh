#!/usr/bin/env bash
# Runs every Orrery check in order and stops at the first failure: lint, native and wasm tests, release build, browser suite.
#
# Usage: bash scripts/test.sh
# Slow native tests stay off unless RUN_SLOW_TESTS is set in the environment.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "${ORRERY_ROOT}"

readonly TOTAL_STEPS=8
step_no=0
suite_start=${SECONDS}
timings=()

# Runs one named step with a section header, times it, and on failure prints a summary and exits.
step() {
  local name="$1"
  shift
  step_no=$((step_no + 1))
  orrery_header "[${step_no}/${TOTAL_STEPS}] ${name}"
  local start=${SECONDS}
  local rc=0
  "$@" || rc=$?
  local took=$((SECONDS - start))
  if [ "${rc}" -ne 0 ]; then
    printf '\nFAILED: step %d/%d "%s" (exit %d after %ds); %d step(s) passed before it, %ds in all.\n' \
      "${step_no}" "${TOTAL_STEPS}" "${name}" "${rc}" "${took}" "$((step_no - 1))" "$((SECONDS - suite_start))" >&2
    exit 1
  fi
  timings+=("$(printf '%5ss  %s' "${took}" "${name}")")
}

# Stops the end-to-end static server, if one was started, and removes its log.
stop_server() {
  if [ -n "${server_pid:-}" ]; then
    kill "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
  fi
  if [ -n "${server_log:-}" ]; then
    rm -f "${server_log}"
  fi
}

# Serves dist/ on a free port of 127.0.0.1, runs the node end-to-end tests against it, then stops the server.
# It runs in a subshell whose EXIT trap stops the server however the tests end; errors are checked
# explicitly because `set -e` does not apply inside a command whose status `step` tests.
run_e2e() (
  server_pid=""
  server_log=""
  trap stop_server EXIT
  [ -f dist/index.html ] || orrery_die "dist/index.html is missing; the release build did not produce it"
  server_log="$(mktemp)" || exit 1
  node tests/e2e/static-server.mjs dist 0 >"${server_log}" 2>&1 &
  server_pid=$!
  base_url=""
  tries=0
  while [ -z "${base_url}" ]; do
    base_url="$(sed -n 's/^listening \(http[^ ]*\)$/\1/p' "${server_log}")"
    if [ -z "${base_url}" ]; then
      if ! kill -0 "${server_pid}" 2>/dev/null || [ "${tries}" -ge 100 ]; then
        cat "${server_log}" >&2
        orrery_die "the static server for dist/ did not start within 10 s"
      fi
      tries=$((tries + 1))
      sleep 0.1
    fi
  done
  orrery_note "serving dist/ at ${base_url}"
  # Test files are listed explicitly: newer Node versions read arguments as globs, not directories.
  tests=(tests/e2e/*.test.mjs)
  ORRERY_BASE_URL="${base_url}" node --test "${tests[@]}"
)

step "setup (scripts/setup.sh --browser)" \
  bash scripts/setup.sh --browser

step "cargo fmt --all --check" \
  cargo fmt --all --check
step "cargo clippy (native, all targets)" \
  cargo clippy --workspace --all-targets -- -D warnings
step "cargo clippy (wasm32: orrery-core, orrery-web)" \
  cargo clippy --target wasm32-unknown-unknown -p orrery-core -p orrery-web -- -D warnings
step "cargo test (native)" \
  cargo test --workspace
step "cargo test (wasm32, headless Chromium: orrery-core --test wasm)" \
  cargo test --target wasm32-unknown-unknown -p orrery-core --test wasm
step "trunk build --release (into dist/)" \
  trunk build --release
step "browser end-to-end suite (node --test tests/e2e/)" \
  run_e2e

printf '\nTimings:\n' >&2
printf '%s\n' "${timings[@]}" >&2
printf '\nPASSED: all %d steps in %ds.\n' "${step_no}" "$((SECONDS - suite_start))"
