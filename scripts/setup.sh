#!/usr/bin/env bash
# Installs every tool the checks and tests need, and nothing that is already
# there, so any script may call it first: on a machine that has everything it
# only looks, in about a second. .ci/run calls it at the start.
#   apt     curl, file, openssl, chromium, wrk, musl-tools, python3-venv, nodejs, npm,
#           pebble (the ACME test CA the HTTPS tests get certificates from),
#           postgresql (initdb and pg_ctl for scripts/with-postgres.sh's
#           throwaway cluster; Debian's own "main" cluster is not created),
#           and for the release artifacts (scripts/build-release.sh) and their
#           smoke tests: mingw-w64 (the Windows linker), wine (runs the .exe),
#           qemu-user-static (runs the aarch64 binary), lintian (checks the .debs)
#           (one `apt-get update`, and only when a package is missing)
#   rustup  rustfmt, clippy, and the x86_64-unknown-linux-musl,
#           aarch64-unknown-linux-musl and x86_64-pc-windows-gnu targets
#   npm     `npm ci` in e2e/ and tests/compat/ when node_modules is missing or
#           older than package-lock.json
#   PyPI    schemathesis, prometheus_client (the metrics tests' parser),
#           moto[server] (the backup tests' S3 server), and cargo-zigbuild with
#           ziglang (the aarch64 musl C compiler and linker), pinned, each in a
#           virtual environment under target/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

SCHEMATHESIS_VERSION=4.32.5
PROMETHEUS_CLIENT_VERSION=0.26.0
MOTO_VERSION=5.2.5
CARGO_ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.17.1
TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu)
installed=0

# need_apt PACKAGE CHECK...: PACKAGE is missing when CHECK fails.
# need_apt_bare: the same, installed without its recommended packages (wine
# and lintian would bring hundreds of megabytes the checks never use).
apt_missing=()
apt_missing_bare=()
need_apt() {
  local package=$1
  shift
  "$@" >/dev/null 2>&1 || apt_missing+=("$package")
}
need_apt_bare() {
  local package=$1
  shift
  "$@" >/dev/null 2>&1 || apt_missing_bare+=("$package")
}
need_apt curl command -v curl
need_apt file command -v file
need_apt openssl command -v openssl # the static smoke test's certificates
need_apt pebble command -v pebble-challtestsrv # tests/api/acme.rs
need_apt postgresql compgen -G "/usr/lib/postgresql/*/bin/initdb" # scripts/with-postgres.sh
need_apt chromium test -x /usr/bin/chromium # the path e2e/ drives
need_apt wrk command -v wrk
need_apt musl-tools command -v musl-gcc # the C compiler bundled SQLite needs for musl
need_apt python3-venv python3 -m venv --help
need_apt nodejs command -v node
need_apt npm command -v npm
need_apt_bare mingw-w64 command -v x86_64-w64-mingw32-gcc
need_apt_bare wine test -x /usr/bin/wine
need_apt_bare wine64 test -x /usr/lib/wine/wine64
need_apt_bare qemu-user-static command -v qemu-aarch64-static
need_apt_bare lintian command -v lintian
if [ $((${#apt_missing[@]} + ${#apt_missing_bare[@]})) -gt 0 ]; then
  echo "setup: apt-get install ${apt_missing[*]} ${apt_missing_bare[*]}"
  apt-get update
  # The tests start a cluster of their own; nothing should run beforehand.
  if [[ " ${apt_missing[*]} " == *" postgresql "* ]]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  if [ ${#apt_missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_missing[@]}"
  fi
  if [ ${#apt_missing_bare[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_missing_bare[@]}"
  fi
  installed=1
fi

# Here-strings, not pipes: `rustup … | grep -q` can fail under pipefail.
components=$(rustup component list --installed)
for component in rustfmt clippy; do
  if ! grep -q "^$component-" <<<"$components"; then
    rustup component add "$component"
    installed=1
  fi
done
installed_targets=$(rustup target list --installed)
for target in "${TARGETS[@]}"; do
  if ! grep -qx "$target" <<<"$installed_targets"; then
    rustup target add "$target"
    installed=1
  fi
done

# npm ci writes node_modules/.package-lock.json last, so it dates the install.
for project in e2e tests/compat; do
  stamp="$project/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$project/package-lock.json" -nt "$stamp" ]; then
    npm ci --prefix "$project" --no-audit --no-fund
    installed=1
  fi
done

if [ ! -x "$schemathesis_venv/bin/st" ] \
  || ! compgen -G "$schemathesis_venv/lib/python3*/site-packages/schemathesis-$SCHEMATHESIS_VERSION.dist-info" >/dev/null; then
  python3 -m venv "$schemathesis_venv"
  "$schemathesis_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  installed=1
fi

if ! compgen -G "$metrics_venv/lib/python3*/site-packages/prometheus_client-$PROMETHEUS_CLIENT_VERSION.dist-info" >/dev/null; then
  python3 -m venv "$metrics_venv"
  "$metrics_venv/bin/pip" install --quiet --disable-pip-version-check "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
  installed=1
fi

if ! compgen -G "$moto_venv/lib/python3*/site-packages/moto-$MOTO_VERSION.dist-info" >/dev/null \
  || [ ! -x "$moto_venv/bin/moto_server" ]; then
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  installed=1
fi

if ! compgen -G "$zig_venv/lib/python3*/site-packages/cargo_zigbuild-$CARGO_ZIGBUILD_VERSION.dist-info" >/dev/null \
  || ! compgen -G "$zig_venv/lib/python3*/site-packages/ziglang-$ZIGLANG_VERSION.dist-info" >/dev/null; then
  python3 -m venv "$zig_venv"
  "$zig_venv/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "ziglang==$ZIGLANG_VERSION"
  installed=1
fi

if [ "$installed" -eq 0 ]; then
  echo "setup: every tool is already installed"
fi
