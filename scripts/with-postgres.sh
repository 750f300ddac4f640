#!/usr/bin/env bash
# with-postgres.sh COMMAND...: runs COMMAND beside a throwaway PostgreSQL
# cluster, then stops the cluster and removes it, whatever COMMAND did.
#
# The cluster (Debian's postgresql, initdb + pg_ctl) listens on a free port
# on 127.0.0.1 only, runs as the unprivileged `postgres` user when this runs
# as root (PostgreSQL refuses root), asks for a password (scram-sha-256),
# and offers TLS with a certificate from a throwaway CA, so the tests can
# use sslmode disable, require and verify-full for real. COMMAND sees:
#   COFFEE_SHOP_TEST_DATABASE_URL  postgres://postgres:<password>@127.0.0.1:<port>/postgres
#   COFFEE_SHOP_TEST_DATABASE_CA   the CA certificate (PEM)
#   COFFEE_SHOP_TEST_PG_CTL        "pg_ctl -D <data>" (the restart tests stop and start it)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bin=$(find_postgres_bin)
dir=$(mktemp -d /tmp/coffee-shop-postgres.XXXXXX)
chmod 0755 "$dir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop_cluster() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop_cluster EXIT

password=$(openssl rand -hex 16)
port=$(free_port)
"${as_owner[@]}" sh -c "umask 077 && echo '$password' > '$dir/password'"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 \
  --pwfile="$dir/password" --no-sync --encoding=UTF8 --locale=C.UTF-8 >/dev/null

# A CA, and a certificate for 127.0.0.1 and localhost that it signed.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=coffee-shop test PostgreSQL CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 2 -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') \
  -out "$dir/server.pem" 2>/dev/null
if [ ${#as_owner[@]} -gt 0 ]; then chown postgres "$dir/server.key" "$dir/server.pem"; fi
chmod 0600 "$dir/server.key"

# Many test servers run at once, each with a pool and a listener.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start -o "\
  -p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 \
  -c ssl=on -c ssl_cert_file=$dir/server.pem -c ssl_key_file=$dir/server.key" >/dev/null
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"

export COFFEE_SHOP_TEST_DATABASE_URL="postgres://postgres:$password@127.0.0.1:$port/postgres"
export COFFEE_SHOP_TEST_DATABASE_CA="$dir/ca.pem"
export COFFEE_SHOP_TEST_PG_CTL="${as_owner[*]} $bin/pg_ctl -D $dir/data -l $dir/log"
"$@"
