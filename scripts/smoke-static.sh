#!/usr/bin/env bash
# Smoke-tests the static binary as a café owner would use it: copied alone into
# an empty directory, started with no config file and an empty environment, it
# creates its database, serves /drinks, the admin pages with their embedded
# assets and the OpenAPI document, and stops cleanly on SIGTERM (closing the
# database, so no -wal file is left). Then it serves HTTPS from certificate
# files (a CA and a leaf made here with openssl), verified by curl, with the
# plain-HTTP listener redirecting to it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh
binary=target/x86_64-unknown-linux-musl/release/coffee-shop
[ -x "$binary" ] || scripts/build-static.sh
if ldd "$binary" 2>&1 | grep -q "=>"; then
  echo "smoke: $binary has dynamic dependencies" >&2
  exit 1
fi

dir=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
cp "$binary" "$dir/"
port=$(free_port)
(cd "$dir" && exec env -i COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" ./coffee-shop >"$dir/log" 2>&1) &
server=$!

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

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
if [ "$status" -ne 0 ]; then
  echo "smoke: exit status $status after SIGTERM" >&2
  exit 1
fi
if [ -e "$dir/coffee-shop.db-wal" ]; then
  echo "smoke: the database was not closed cleanly (a -wal file is left)" >&2
  exit 1
fi

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
  ./coffee-shop >"$dir/tls-log" 2>&1) &
server=$!
wait_for_url "http://127.0.0.1:$http_port/healthz" \
  && curl -fsS --cacert "$dir/ca.pem" "https://127.0.0.1:$https_port/drinks" -o "$dir/tls-menu.json" \
  && grep -q '"title":"water"' "$dir/tls-menu.json" \
  || { echo "smoke: /drinks was not served over verified HTTPS" >&2; cat "$dir/tls-log" >&2; exit 1; }
redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$http_port/drinks")
[ "$redirect" = "301 https://127.0.0.1:$https_port/drinks" ] \
  || { echo "smoke: plain HTTP answered \"$redirect\", not a redirect to https" >&2; exit 1; }
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
[ "$status" -eq 0 ] || { echo "smoke: exit status $status after SIGTERM (HTTPS)" >&2; exit 1; }

echo "smoke: the static binary ($(du -h "$binary" | cut -f1), $(stat -c %s "$binary") bytes) started alone, served /drinks, /admin and /openapi.json over HTTP and /drinks over HTTPS, and stopped cleanly"
