#!/usr/bin/env bash
# Builds the statically linked release binary a café owner copies to a machine:
#   target/x86_64-unknown-linux-musl/release/coffee-shop
# scripts/setup.sh installs the musl target and musl-tools (the C compiler
# bundled SQLite needs) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
target=x86_64-unknown-linux-musl
CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked --target "$target" --bin coffee-shop
binary="target/$target/release/coffee-shop"
file "$binary" 2>/dev/null || true
ls -l "$binary"
