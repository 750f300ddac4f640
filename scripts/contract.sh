#!/usr/bin/env bash
# The OpenAPI contract, fuzzed: schemathesis (pinned, from PyPI, in a virtual
# environment under target/) runs every check against the release binary,
# reading the document the binary serves at /openapi.json, with a manager
# token from development mode. Fails on any failure; a fixed example budget
# and seed keep it to a few minutes and reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
venv=target/schemathesis-venv
if [ ! -x "$venv/bin/st" ]; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-venv
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --release --locked
binary="$PWD/target/release/coffee-shop"
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" COFFEE_SHOP__DATABASE__PATH="$work/contract.db" RUST_LOG=warn
(cd "$work" && exec "$binary" serve --dev) >/dev/null 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done
token="$("$binary" dev-token --role manager --ttl 1h)"

"$venv/bin/st" --config-file tests/contract/schemathesis.toml run \
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
