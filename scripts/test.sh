#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests that drive the server
# through a real port, a real SQLite file and a loopback JWKS server, and the
# Udacity Postman collection against the release binary (scripts/compat.sh),
# schemathesis against the served OpenAPI document (scripts/contract.sh), the
# admin pages in headless Chromium (scripts/e2e.sh), and a 60 s soak with key
# rotations and a provider outage (scripts/soak.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The integration tests need pebble (tests/api/acme.rs) and openssl; the
# later steps need the rest. Quick when everything is installed.
scripts/setup.sh

# The crash-safety test kills the release binary (tests/api/crash.rs).
cargo build --release --locked
COFFEE_SHOP_BINARY="$PWD/target/release/coffee-shop" cargo test --locked --all-targets
scripts/compat.sh
scripts/contract.sh
scripts/e2e.sh
scripts/soak.sh --seconds 60
