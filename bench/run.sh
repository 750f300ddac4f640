#!/usr/bin/env bash
# The benchmark harness: builds the release server, the static (musl) server
# and the harness (examples/bench.rs), then drives every scenario with wrk and
# prints one table with the target ratios, plus the static build compared with
# the glibc one, and PostgreSQL with SQLite, in the same run (beside a
# throwaway cluster from scripts/with-postgres.sh). `--quick` runs 2 s per
# scenario (what CI runs, to prove the harness works; no figure is asserted).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build-static.sh >/dev/null
cargo build --release --locked --bin coffee-shop --example bench
scripts/with-postgres.sh target/release/examples/bench \
  --compare target/x86_64-unknown-linux-musl/release/coffee-shop "$@"
