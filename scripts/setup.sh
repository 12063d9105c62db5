#!/usr/bin/env bash
# Installs whatever Orrery's build and tests need and is missing; fast and silent when all is present.
#
# Usage: bash scripts/setup.sh [--browser]
#
# It installs, only when missing or at the wrong version:
#   the rustup target wasm32-unknown-unknown;
#   trunk 0.21.14 (cargo install --locked);
#   wasm-bindgen-cli at the version Cargo.lock pins for wasm-bindgen (cargo install, without --locked,
#     because its own lockfile names a crate version crates.io here does not have);
#   the npm packages of package-lock.json (wasm-opt from binaryen, playwright-core), with `npm ci`;
#   with --browser, Debian's chromium and chromium-driver.
# Everything comes from crates.io, npm or Debian; nothing is downloaded from anywhere else.
# Callers put the tools on PATH by sourcing scripts/env.sh (serve.sh and test.sh do).
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "${ORRERY_ROOT}"

readonly TRUNK_VERSION="0.21.14"
readonly DEFAULT_WASM_BINDGEN_VERSION="0.2.130"
readonly WASM_TARGET="wasm32-unknown-unknown"
readonly NPM_STAMP="node_modules/.orrery-npm-stamp"

want_browser=0
for arg in "$@"; do
  case "${arg}" in
    --browser) want_browser=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) orrery_die "unknown argument '${arg}' (expected --browser)" ;;
  esac
done

# Runs a command as root, through sudo only when this script is not already root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null 2>&1 || orrery_die "need root or sudo to run: $*"
    sudo "$@"
  fi
}

# Prints the second word of a tool's `--version` output, or nothing when the tool is absent.
tool_version() {
  local out
  out="$("$1" --version 2>/dev/null)" || return 0
  printf '%s\n' "${out}" | awk 'NR == 1 { print $2 }'
}

# Prints the wasm-bindgen version that Cargo.lock pins, or the default when there is no lockfile.
locked_wasm_bindgen_version() {
  local v=""
  if [ -f Cargo.lock ]; then
    v="$(awk '
      $0 == "name = \"wasm-bindgen\"" { found = 1; next }
      found && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
      /^\[\[package\]\]/ { found = 0 }
    ' Cargo.lock)"
  fi
  printf '%s\n' "${v:-${DEFAULT_WASM_BINDGEN_VERSION}}"
}

for tool in rustup cargo node npm; do
  command -v "${tool}" >/dev/null 2>&1 || orrery_die "'${tool}' is not on PATH; install rustup Rust and Node 20 with npm first"
done

# The wasm target of the active toolchain.
if ! rustup target list --installed | grep -qx "${WASM_TARGET}"; then
  orrery_header "setup: adding the rustup target ${WASM_TARGET}"
  rustup target add "${WASM_TARGET}"
fi

# Trunk; `--locked` plus an explicit version, because the newest trunk needs a newer rustc.
if [ "$(tool_version trunk)" != "${TRUNK_VERSION}" ]; then
  orrery_header "setup: installing trunk ${TRUNK_VERSION} (takes about 7 minutes on 2 cores)"
  cargo install trunk --version "${TRUNK_VERSION}" --locked
fi

# wasm-bindgen-cli, which must match the wasm-bindgen crate exactly; it also provides the test runner.
bindgen_version="$(locked_wasm_bindgen_version)"
if [ "$(tool_version wasm-bindgen)" != "${bindgen_version}" ] ||
  [ "$(tool_version wasm-bindgen-test-runner)" != "${bindgen_version}" ]; then
  orrery_header "setup: installing wasm-bindgen-cli ${bindgen_version} (takes about 2 minutes on 2 cores)"
  cargo install wasm-bindgen-cli --version "${bindgen_version}" --force
fi
if [ -f Trunk.toml ] && ! grep -q "^wasm_bindgen = \"${bindgen_version}\"" Trunk.toml; then
  orrery_note "warning: Trunk.toml's [tools] wasm_bindgen differs from Cargo.lock's wasm-bindgen ${bindgen_version}; update Trunk.toml"
fi

# The npm packages, reinstalled only when package.json or package-lock.json changed since the last install.
[ -f package-lock.json ] || orrery_die "package-lock.json is missing; run 'npm install' at the repository root and commit it"
npm_hash="$(cat package.json package-lock.json | sha256sum | awk '{ print $1 }')"
if [ ! -d node_modules ] || [ "$(cat "${NPM_STAMP}" 2>/dev/null || true)" != "${npm_hash}" ]; then
  orrery_header "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
  printf '%s\n' "${npm_hash}" >"${NPM_STAMP}"
fi
[ -x node_modules/.bin/wasm-opt ] || orrery_die "node_modules/.bin/wasm-opt is missing after npm ci"

# Debian's Chromium and its matching chromedriver, for wasm-bindgen-test and the end-to-end suite.
if [ "${want_browser}" -eq 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  orrery_header "setup: installing Debian chromium and chromium-driver"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
fi

summary="trunk $(tool_version trunk), wasm-bindgen $(tool_version wasm-bindgen), wasm-opt $(wasm-opt --version | awk '{ print $3 }')"
if [ "${want_browser}" -eq 1 ]; then
  summary="${summary}, $(/usr/bin/chromium --version 2>/dev/null | awk '{ print $1 " " $2 }')"
fi
orrery_note "setup: ok (${summary})"
