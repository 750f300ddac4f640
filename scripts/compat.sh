#!/usr/bin/env bash
# Proves wire compatibility with the real clients: runs the Udacity Postman
# collection (read from ../shared/compat/, never copied here) with newman
# against the release binary, then against the static musl binary, each on a
# fresh database with tokens from a loopback OpenID Connect provider. Fails
# unless every assertion in every folder passes, in both passes.
set -euo pipefail
cd "$(dirname "$0")/.."

collection="${COMPAT_COLLECTION:-../shared/compat/udacity-fsnd-udaspicelatte.postman_collection.json}"
if [ ! -f "$collection" ]; then
  echo "compat: collection not found at $collection" >&2
  exit 1
fi

scripts/setup.sh
cargo build --release --locked
echo "compat: pass 1, the glibc release binary"
node tests/compat/run.mjs target/release/coffee-shop "$collection"

scripts/build-static.sh >/dev/null
echo "compat: pass 2, the static musl binary"
node tests/compat/run.mjs target/x86_64-unknown-linux-musl/release/coffee-shop "$collection"
