#!/usr/bin/env bash
# Serves the Orrery web app locally with `trunk serve --release` on 127.0.0.1 (PORT, default 8080).
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "${ORRERY_ROOT}"

bash scripts/setup.sh

# Trunk.toml sets offline = true, which Trunk passes to cargo, so the crates are fetched first.
cargo fetch --quiet

port="${PORT:-8080}"
orrery_header "trunk serve --release on http://127.0.0.1:${port}/"
exec trunk serve --release --address 127.0.0.1 --port "${port}" "$@"
