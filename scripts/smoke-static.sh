#!/usr/bin/env bash
# smoke-static.sh [BINARY [RUNNER]]: smoke-tests a static binary as a café
# owner would use it (default: the x86_64 one; CI also runs the aarch64 one
# under qemu: scripts/smoke-static.sh dist/coffee-shop-*-aarch64-linux
# qemu-aarch64-static). Copied alone into an empty directory, started with no
# config file, an empty environment and no network (a network namespace with
# only loopback), it creates its database, serves
# /drinks, the admin pages with their embedded assets and the OpenAPI
# document, and stops cleanly on SIGTERM (closing the database, so no -wal
# file is left). `serve --dev` accepts a token from `dev-token` for a POST.
# Then it serves HTTPS from certificate files (a CA and a leaf made here with
# openssl), verified by curl, with the plain-HTTP listener redirecting to it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh
binary=${1:-target/x86_64-unknown-linux-musl/release/coffee-shop}
runner=()
if [ -n "${2:-}" ]; then
  runner=("$(command -v "$2")")
fi
[ -x "$binary" ] || scripts/build-static.sh
if ! file -b "$binary" | grep -Eq "static(ally|-pie) linked"; then
  echo "smoke: $binary is not statically linked: $(file -b "$binary")" >&2
  exit 1
fi
# No network: the rest runs again in a network namespace of its own with only
# loopback up, so the binary must manage with nothing beyond the machine.
if [ -z "${SMOKE_OFFLINE:-}" ]; then
  isolate=(--net)
  [ "$(id -u)" -eq 0 ] || isolate+=(--map-root-user)
  exec env SMOKE_OFFLINE=1 unshare "${isolate[@]}" -- \
    bash -c 'ip link set lo up && exec "$0" "$@"' "$PWD/scripts/smoke-static.sh" "$@"
fi

dir=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
cp "$binary" "$dir/coffee-shop"
port=$(free_port)
(cd "$dir" && exec env -i COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" "${runner[@]}" ./coffee-shop >"$dir/log" 2>&1) &
server=$!

# stop_server LABEL: SIGTERM; the server must exit 0 and close the database
# (no -wal file left).
stop_server() {
  kill -TERM "$server"
  local status=0
  wait "$server" || status=$?
  server=
  [ "$status" -eq 0 ] || { echo "smoke: exit status $status after SIGTERM$1" >&2; exit 1; }
  if [ -e "$dir/coffee-shop.db-wal" ]; then
    echo "smoke: the database was not closed cleanly (a -wal file is left)$1" >&2
    exit 1
  fi
}

# Downloaded to files first: `curl | grep -q` fails under pipefail when grep
# stops reading early.
fetch() { curl -fsS "http://127.0.0.1:$port$1" -o "$dir/$2"; }
{ wait_for_url "http://127.0.0.1:$port/drinks" && fetch /drinks menu.json && grep -q '"title":"water"' "$dir/menu.json"; } \
  || { echo "smoke: /drinks did not serve the sample menu" >&2; cat "$dir/log" >&2; exit 1; }
[ -f "$dir/coffee-shop.db" ] || { echo "smoke: no database was created" >&2; exit 1; }
fetch /admin/login login.html && grep -q "Sign-in is not set up yet" "$dir/login.html" \
  || { echo "smoke: /admin/login did not show the set-up page" >&2; exit 1; }
fetch /admin/static/admin.css admin.css && grep -q "Coffee Shop admin" "$dir/admin.css" \
  || { echo "smoke: the embedded CSS was not served" >&2; exit 1; }
fetch /openapi.json openapi.json && grep -q '"openapi": "3.1.0"' "$dir/openapi.json" \
  || { echo "smoke: /openapi.json was not served" >&2; exit 1; }

stop_server ""

# Development mode: a token from `dev-token` (the key beside the database)
# is accepted for a POST, and the drink is served.
port=$(free_port)
(cd "$dir" && exec env -i COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" \
  "${runner[@]}" ./coffee-shop serve --dev >"$dir/dev-log" 2>&1) &
server=$!
wait_for_url "http://127.0.0.1:$port/readyz" 300 \
  || { echo "smoke: serve --dev did not become ready" >&2; cat "$dir/dev-log" >&2; exit 1; }
token=$(cd "$dir" && env -i "${runner[@]}" ./coffee-shop dev-token --role manager)
curl -fsS -X POST "http://127.0.0.1:$port/drinks" -H "Authorization: Bearer $token" \
  -H "Content-Type: application/json" \
  -d '{"title": "Smoke Flat White", "recipe": [{"name": "milk", "color": "white", "parts": 2}]}' \
  -o "$dir/created.json" \
  && fetch /drinks after.json && grep -q '"title":"Smoke Flat White"' "$dir/after.json" \
  || { echo "smoke: a dev token was not accepted for a POST" >&2; cat "$dir/dev-log" >&2; exit 1; }
stop_server " (--dev)"

# HTTPS from files: a CA, and a leaf for 127.0.0.1 that it signs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=smoke-ca \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$dir/key.pem" -out "$dir/leaf.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 1 -extfile "$dir/san.ext" -out "$dir/cert.pem" 2>/dev/null
https_port=$(free_port)
http_port=$(free_port)
(cd "$dir" && exec env -i COFFEE_SHOP__TLS__CERT=cert.pem COFFEE_SHOP__TLS__KEY=key.pem \
  COFFEE_SHOP__TLS__HTTPS_BIND="127.0.0.1:$https_port" COFFEE_SHOP__TLS__HTTP_BIND="127.0.0.1:$http_port" \
  "${runner[@]}" ./coffee-shop >"$dir/tls-log" 2>&1) &
server=$!
wait_for_url "http://127.0.0.1:$http_port/healthz" \
  && curl -fsS --cacert "$dir/ca.pem" "https://127.0.0.1:$https_port/drinks" -o "$dir/tls-menu.json" \
  && grep -q '"title":"water"' "$dir/tls-menu.json" \
  || { echo "smoke: /drinks was not served over verified HTTPS" >&2; cat "$dir/tls-log" >&2; exit 1; }
redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$http_port/drinks")
[ "$redirect" = "301 https://127.0.0.1:$https_port/drinks" ] \
  || { echo "smoke: plain HTTP answered \"$redirect\", not a redirect to https" >&2; exit 1; }
stop_server " (HTTPS)"

echo "smoke: $binary ($(stat -c %s "$binary") bytes${2:+, under $2}) started alone and offline, served /drinks, /admin and /openapi.json over HTTP, took a dev token for a POST, served /drinks over HTTPS, and stopped cleanly"
