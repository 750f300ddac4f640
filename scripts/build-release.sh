#!/usr/bin/env bash
# Builds every release artifact into dist/, each target once, with a
# SHA256SUMS file (check with `sha256sum -c SHA256SUMS`):
#   coffee-shop-<version>-x86_64-linux        static (musl), any x86_64 Linux
#   coffee-shop-<version>-aarch64-linux       static (musl), Raspberry Pi 4/5 with a 64-bit OS
#   coffee-shop-<version>-x86_64-windows.exe  Windows 10 and later
#   coffee-shop_<version>_amd64.deb           Debian and Ubuntu (the static binaries,
#   coffee-shop_<version>_arm64.deb           a systemd unit, a user, a data folder)
# Toolchains come from the registries (scripts/setup.sh installs them):
# musl-tools for x86_64, cargo-zigbuild with ziglang (PyPI) for aarch64, and
# mingw-w64 for Windows. Bundled SQLite is compiled by each; TLS is rustls
# everywhere. A binary over 15 MB fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh
version=$(crate_version)
max_bytes=$((15 * 1000 * 1000))

scripts/build-static.sh
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
  CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc \
  cargo build --release --locked --target x86_64-pc-windows-gnu --bin coffee-shop
PATH="$PWD/$zig_venv/bin:$PATH" \
  cargo zigbuild --release --locked --target aarch64-unknown-linux-musl --bin coffee-shop

rm -rf dist
mkdir dist
# artifact SOURCE NAME: copies a binary into dist/ under its release name.
artifact() {
  local size
  size=$(stat -c %s "$1")
  if [ "$size" -gt "$max_bytes" ]; then
    echo "build-release: $2 is $size bytes, over the 15 MB limit" >&2
    exit 1
  fi
  cp "$1" "dist/$2"
}
artifact target/x86_64-unknown-linux-musl/release/coffee-shop "coffee-shop-$version-x86_64-linux"
artifact target/aarch64-unknown-linux-musl/release/coffee-shop "coffee-shop-$version-aarch64-linux"
artifact target/x86_64-pc-windows-gnu/release/coffee-shop.exe "coffee-shop-$version-x86_64-windows.exe"
scripts/build-deb.sh amd64 "dist/coffee-shop-$version-x86_64-linux" "dist/coffee-shop_${version}_amd64.deb"
scripts/build-deb.sh arm64 "dist/coffee-shop-$version-aarch64-linux" "dist/coffee-shop_${version}_arm64.deb"

(cd dist && sha256sum -- * >SHA256SUMS)
echo "build-release: dist/"
(cd dist && ls -l && cat SHA256SUMS)
