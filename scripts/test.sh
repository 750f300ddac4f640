#!/usr/bin/env bash
# Runs every test: unit tests, and the integration tests that drive the server
# through a real port, a real SQLite file and a loopback JWKS server.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --all-targets
