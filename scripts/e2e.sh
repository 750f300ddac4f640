#!/usr/bin/env bash
# End-to-end tests of the admin pages: headless Chromium (Debian's chromium,
# driven by playwright-core) against the release binary, with oauth2-mock-server
# as the identity provider. scripts/setup.sh installs Chromium and the npm
# packages if missing; fails, never skips, when something cannot be found.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --locked
cd e2e
node --test --test-concurrency=1 dashboard.test.mjs
