#!/usr/bin/env bash
# The soak test (examples/soak.rs): a bounded mixed load on the release binary
# with two key rotations and a provider outage in the middle; prints a summary
# table and fails on an unexpected status, growing memory or an inconsistent
# final state. usage: scripts/soak.sh [--seconds N]   (default 60, as CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bin coffee-shop --example soak
target/release/examples/soak "$@"
