#!/usr/bin/env bash
# Proves wire compatibility with the real clients: runs the Udacity Postman
# collection (read from ../shared/compat/, never copied here) with newman
# against the release binary, with tokens from a loopback OpenID Connect
# provider. Fails unless every assertion in every folder passes.
set -euo pipefail
cd "$(dirname "$0")/.."

collection="${COMPAT_COLLECTION:-../shared/compat/udacity-fsnd-udaspicelatte.postman_collection.json}"
if [ ! -f "$collection" ]; then
  echo "compat: collection not found at $collection" >&2
  exit 1
fi

if [ ! -d tests/compat/node_modules ]; then
  npm ci --prefix tests/compat --no-audit --no-fund
fi
cargo build --release --locked
node tests/compat/run.mjs target/release/coffee-shop "$collection"
