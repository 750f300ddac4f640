#!/usr/bin/env bash
# Proves wire compatibility with the real clients: runs the Udacity Postman
# collection (read from ../shared/compat/, never copied here) with newman
# against the release binary, then against the static musl binary, then
# against the release binary on PostgreSQL (a throwaway cluster from
# scripts/with-postgres.sh), each on a fresh database with tokens from a
# loopback OpenID Connect provider. Fails unless every assertion in every
# folder passes, in every pass.
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

echo "compat: pass 3, the release binary on PostgreSQL"
# shellcheck disable=SC2016 # expanded by the inner shell, where the cluster's URL is set
scripts/with-postgres.sh bash -c \
  'COFFEE_SHOP__DATABASE__URL="$COFFEE_SHOP_TEST_DATABASE_URL" exec node tests/compat/run.mjs "$1" "$2"' \
  _ target/release/coffee-shop "$collection"
