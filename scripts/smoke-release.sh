#!/usr/bin/env bash
# Smoke-tests every artifact scripts/build-release.sh put in dist/, reusing
# them (nothing is built here): the checksums, the x86_64 static binary, the
# aarch64 one under qemu-user-static, the Windows .exe under wine, and the
# Debian packages (lintian, then install, run and purge the amd64 one).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

version=$(crate_version)
(cd dist && sha256sum --quiet -c SHA256SUMS)
scripts/smoke-static.sh "dist/coffee-shop-$version-x86_64-linux"
scripts/smoke-static.sh "dist/coffee-shop-$version-aarch64-linux" qemu-aarch64-static
scripts/smoke-windows.sh "dist/coffee-shop-$version-x86_64-windows.exe"
scripts/smoke-deb.sh dist
