#!/usr/bin/env bash
# The OpenAPI contract, fuzzed: schemathesis (pinned, from PyPI, in a virtual
# environment under target/ that scripts/setup.sh installs) runs every check
# against the release binary, reading the document the binary serves at
# /openapi.json, with a manager token from development mode: once on SQLite,
# once on PostgreSQL (a throwaway cluster from scripts/with-postgres.sh).
# Fails on any failure; a fixed example budget and seed keep it to a few
# minutes and reproducible.
#   scripts/contract.sh            both passes
#   scripts/contract.sh --one-pass one pass, on what COFFEE_SHOP__DATABASE__URL says
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

if [ "${1:-}" != "--one-pass" ]; then
  scripts/setup.sh
  cargo build --release --locked
  echo "contract: pass 1, SQLite"
  COFFEE_SHOP__DATABASE__URL="" scripts/contract.sh --one-pass
  echo "contract: pass 2, PostgreSQL"
  # shellcheck disable=SC2016 # expanded by the inner shell, where the cluster's URL is set
  exec scripts/with-postgres.sh bash -c \
    'COFFEE_SHOP__DATABASE__URL="$COFFEE_SHOP_TEST_DATABASE_URL" exec scripts/contract.sh --one-pass'
fi

binary="$PWD/target/release/coffee-shop"
work="$(mktemp -d)"
port=$(free_port)
export COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" COFFEE_SHOP__DATABASE__PATH="$work/contract.db" RUST_LOG=warn
(cd "$work" && exec "$binary" serve --dev) >/dev/null 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_url "http://127.0.0.1:$port/readyz" || { cat "$work/server.log" >&2; exit 1; }
token="$("$binary" dev-token --role manager --ttl 1h)"

"$schemathesis_venv/bin/st" --config-file tests/contract/schemathesis.toml run \
  "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "${CONTRACT_EXAMPLES:-150}" \
  --seed 20261128 \
  --generation-deterministic \
  --request-timeout 10
# actix logs a client's malformed request line at ERROR; only our own
# errors (and panics) count.
if grep -E "panicked|ERROR.*coffee_shop" "$work/server.log"; then
  echo "contract: the server logged errors" >&2
  exit 1
fi
