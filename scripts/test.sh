#!/usr/bin/env bash
# The test command: formatting, clippy for the server and the browser build, the Rust
# tests (on SQLite, and again on PostgreSQL when TEST_DATABASE_URL=postgres://... is set),
# then the Playwright suite against a freshly started server, with JavaScript disabled
# and hydrated.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --with-browser

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (server build, ssr)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings

step "clippy (browser build, hydrate)"
cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  step "Rust tests on SQLite and PostgreSQL"
else
  step "Rust tests on SQLite (set TEST_DATABASE_URL=postgres://... to run them on PostgreSQL too)"
fi
cargo test --workspace --exclude frontend

step "build the site for the browser tests"
cargo leptos build

step "Playwright (JavaScript disabled, then hydrated)"
npx playwright test -c end2end/playwright.config.ts
