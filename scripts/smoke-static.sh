#!/usr/bin/env bash
# Smoke-tests the static binary as a café owner would use it: copied alone into
# an empty directory, started with no config file and an empty environment, it
# creates its database, serves /drinks, and stops cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$dir" && exec env -i COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" ./coffee-shop >"$dir/log" 2>&1) &
server=$!

for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/drinks" -o "$dir/menu.json" 2>/dev/null; then break; fi
  sleep 0.1
done
grep -q '"title":"water"' "$dir/menu.json" || { echo "smoke: /drinks did not serve the sample menu" >&2; cat "$dir/log" >&2; exit 1; }
[ -f "$dir/coffee-shop.db" ] || { echo "smoke: no database was created" >&2; exit 1; }

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
if [ "$status" -ne 0 ]; then
  echo "smoke: exit status $status after SIGTERM" >&2
  exit 1
fi
echo "smoke: the static binary ($(du -h "$binary" | cut -f1)) started alone, served /drinks and stopped cleanly"
