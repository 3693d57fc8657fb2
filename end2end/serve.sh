#!/usr/bin/env bash
# Starts the built server for the browser tests on a fresh SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf end2end/.data
mkdir -p end2end/.data
export LEPTOS_OUTPUT_NAME=msgbuddy
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR="127.0.0.1:${E2E_PORT:-3100}"
export DATABASE_URL="sqlite://end2end/.data/e2e.db"
export MSGBUDDY_DATA_DIR=end2end/.data
export MSGBUDDY_LOGIN_LIMIT_PER_IP=10000
export MSGBUDDY_LOG="${MSGBUDDY_LOG:-warn}"
exec ./target/debug/msgbuddy serve
