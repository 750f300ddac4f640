# Helpers the shell scripts share. Source it from the repository root:
#   source scripts/lib.sh

# Where scripts/setup.sh installs schemathesis and scripts/contract.sh runs it.
schemathesis_venv=target/schemathesis-venv
# prometheus_client, whose parser reads /metrics in tests/api/metrics.rs.
metrics_venv=target/metrics-venv
# moto's server mode: the S3-compatible server tests/api/backup.rs starts
# (testkit/src/s3.rs looks for it here).
moto_venv=target/moto-venv
# cargo-zigbuild and zig (ziglang), which cross-compile the aarch64 binary.
zig_venv=target/zig-venv

# Prints the crate's version, as Cargo.toml states it (the artifacts' names).
crate_version() {
  sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1
}

# Prints a port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_url URL [TRIES]: asks for URL every 0.1 s until it answers 2xx.
# Fails, saying so, after TRIES tries (default 100, about 10 s).
wait_for_url() {
  local url=$1 tries=${2:-100} _
  for _ in $(seq "$tries"); do
    curl -fs "$url" -o /dev/null && return 0
    sleep 0.1
  done
  echo "$url did not answer within $tries tries" >&2
  return 1
}

# Prints the folder of the newest PostgreSQL server programs Debian installed
# (initdb, pg_ctl, postgres).
find_postgres_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "no PostgreSQL server under /usr/lib/postgresql: run scripts/setup.sh" >&2
    return 1
  fi
  echo "$bin"
}
