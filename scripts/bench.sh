#!/usr/bin/env bash
# The benchmark command: builds the release site (server with normal optimisation, WASM
# optimised for size by wasm-opt), then runs the benchmark driver against it. Prints idle
# RSS, the gzipped first-load size, and p50/p95 latencies under 50 concurrent clients.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo leptos build --release
cargo run --release -p msgbuddy-bench
