#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests that drive the server
# through a real port, a real SQLite file and a loopback JWKS server, and the
# Udacity Postman collection against the release binary (scripts/compat.sh),
# and the admin pages in headless Chromium (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets
scripts/compat.sh
scripts/e2e.sh
