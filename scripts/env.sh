# Shared shell settings for Orrery's scripts: repository root, tool PATH and section headers (sourced, not run).
# shellcheck shell=bash

# The repository root is the parent of this file's directory.
ORRERY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ORRERY_ROOT

# npm tools (wasm-opt from binaryen, playwright-core) come first, then cargo-installed tools
# (trunk, wasm-bindgen, wasm-bindgen-test-runner), so a stray system copy never wins.
case ":${PATH}:" in
  *":${ORRERY_ROOT}/node_modules/.bin:"*) ;;
  *) PATH="${ORRERY_ROOT}/node_modules/.bin:${CARGO_HOME:-${HOME}/.cargo}/bin:${PATH}" ;;
esac
export PATH

# Prints a visible section header on standard error.
orrery_header() {
  printf '\n==> %s\n' "$*" >&2
}

# Prints a short progress note on standard error.
orrery_note() {
  printf '    %s\n' "$*" >&2
}

# Prints an error on standard error and exits.
orrery_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
