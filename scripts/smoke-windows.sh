#!/usr/bin/env bash
# smoke-windows.sh [EXE]: the Windows .exe under Debian's wine (default: the
# one scripts/build-release.sh builds), copied alone into a folder whose name
# has a space, and started from another folder:
#   - it creates its database beside the exe, serves /drinks and /admin, and
#     `serve --dev` takes a token from `dev-token` for a POST;
#   - Ctrl-C (wine turns SIGINT into the console's Ctrl-C) stops it
#     gracefully: exit status 0, no -wal left, and the POSTed drink is served
#     after a restart;
#   - `backup` and `export` write to Windows paths (drive letter, backslashes,
#     spaces).
# Wine 8.0 (Debian 12) lacks ProcessPrng, which Rust's standard library
# imports; tests/windows/process_prng.c stands in for it in this test's wine
# prefix only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh
exe=${1:-target/x86_64-pc-windows-gnu/release/coffee-shop.exe}
[ -f "$exe" ] || { echo "smoke-windows: no $exe (scripts/build-release.sh builds it)" >&2; exit 1; }

work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill -KILL "$server" 2>/dev/null; wineserver -k 2>/dev/null; rm -rf "$work"' EXIT
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n;mscoree,mshtml="
fail() {
  echo "smoke-windows: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; cat "$log" >&2; }
  done
  exit 1
}
wineboot --init >/dev/null 2>&1 || fail "wineboot could not make a prefix"
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  tests/windows/process_prng.c tests/windows/process_prng.def -ladvapi32

folder="$work/Coffee Shop"
mkdir "$folder" "$work/elsewhere"
cp "$exe" "$folder/coffee-shop.exe"
port=$(free_port)
url="http://127.0.0.1:$port"

# start ARGS...: the exe, from another folder, in the background.
start() {
  (cd "$work/elsewhere" && exec env COFFEE_SHOP__SERVER__BIND="127.0.0.1:$port" \
    wine "$folder/coffee-shop.exe" "$@" >>"$work/server.log" 2>&1) &
  server=$!
  wait_for_url "$url/readyz" 600 || fail "the server did not become ready"
}
# stop N: Ctrl-C, then the exit status must be 0 and the log must show the
# graceful stop for the Nth time.
stop() {
  kill -INT "$server"
  local status=0
  wait "$server" || status=$?
  server=
  [ "$status" -eq 0 ] || fail "exit status $status after Ctrl-C"
  [ -e "$folder/coffee-shop.db-wal" ] && fail "a -wal file is left: the database was not closed"
  # The graceful path (src/windows.rs), not actix's immediate stop.
  [ "$(grep -c "Ctrl-C: finishing the requests in flight" "$work/server.log")" -ge "$1" ] \
    || fail "Ctrl-C did not take the graceful path"
}

start serve --dev
[ -f "$folder/coffee-shop.db" ] || fail "no database beside the exe"
[ -z "$(ls -A "$work/elsewhere")" ] || fail "files were written to the working folder: $(ls -A "$work/elsewhere")"
curl -fsS "$url/drinks" | grep -q '"title":"water"' || fail "/drinks did not serve the sample menu"
curl -fsS "$url/admin/login" | grep -q "Development mode:" || fail "/admin did not serve the development sign-in page"
curl -fsS "$url/admin/static/admin.css" | grep -q "Coffee Shop admin" || fail "the embedded CSS was not served"
token=$(cd "$work/elsewhere" && wine "$folder/coffee-shop.exe" dev-token --role manager | tr -d '\r')
curl -fsS -X POST "$url/drinks" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
  -d '{"title": "Windows Cortado", "recipe": [{"name": "espresso", "color": "#3b1f0e", "parts": 1}]}' \
  -o "$work/created.json" || fail "the POST with a dev token was refused"
stop 1

start serve --dev
curl -fsS "$url/drinks" | grep -q '"title":"Windows Cortado"' || fail "the POSTed drink is gone after a restart"
stop 2

mkdir "$work/My Backups"
backup_file="$(winepath -w "$work/My Backups")\\menu backup.db"
export_file="$(winepath -w "$work/My Backups")\\menu export.json"
(cd "$work/elsewhere" && wine "$folder/coffee-shop.exe" backup "$backup_file" >"$work/backup.log" 2>&1) \
  || fail "backup to $backup_file failed"
python3 - "$work/My Backups/menu backup.db" <<'EOF' || fail "the backup is not a sound copy"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("SELECT count(*) FROM drinks WHERE title = 'Windows Cortado'").fetchone()[0] == 1
EOF
(cd "$work/elsewhere" && wine "$folder/coffee-shop.exe" export "$export_file" >"$work/export.log" 2>&1) \
  || fail "export to $export_file failed"
grep -q '"Windows Cortado"' "$work/My Backups/menu export.json" || fail "the export lacks the POSTed drink"

echo "smoke-windows: $exe ($(stat -c %s "$exe") bytes) under $(wine --version): database beside the exe, /drinks, /admin, a dev-token POST, graceful Ctrl-C kept the drink across a restart, backup and export to Windows paths"
