#!/usr/bin/env bash
# Runs every test: unit tests, the integration tests that drive the server
# through a real port, a real SQLite file (and again a real PostgreSQL
# server, scripts/with-postgres.sh) and a loopback JWKS server, and the
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
export COFFEE_SHOP_BINARY="$PWD/target/release/coffee-shop"
# Beside a throwaway PostgreSQL cluster: every test, with the test apps on
# SQLite (the chain tests use the cluster), then the integration tests again
# with every test app on PostgreSQL, less those about SQLite's own file
# (backups, restore, upgrades in place, the crash test on a file) and the
# chain tests, which already ran there; last, alone, the crash tests that
# restart the cluster under load.
# shellcheck disable=SC2016 # expanded by the inner shell
scripts/with-postgres.sh bash -ec '
  cargo test --locked --all-targets -- --skip crash::on_postgres
  echo "tests: the integration tests again, on PostgreSQL"
  COFFEE_SHOP_TEST_ENGINE=postgres cargo test --locked --test api -- \
    --skip backup:: --skip storage:: --skip crash:: --skip chain:: \
    --skip cli::backup_during_writes
  echo "tests: crash safety on PostgreSQL (restarts the cluster)"
  cargo test --locked --test api crash::on_postgres -- --test-threads=1'
scripts/compat.sh
scripts/contract.sh
scripts/e2e.sh
scripts/soak.sh --seconds 60
