#!/usr/bin/env bash
# Installs what building msgbuddy needs, skipping whatever is already there:
# the wasm32 target, cargo-leptos, the wasm-bindgen CLI that matches Cargo.lock, and the
# npm tools (Tailwind, wasm-opt, Playwright). `--with-browser` adds what only the tests
# need: Debian's Chromium for the browser tests, and the real mail servers of the email
# tests (Debian's Dovecot for IMAP, aiosmtpd from PyPI for SMTP). Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail

CARGO_LEPTOS_VERSION="0.3.10" # the newest that builds on rustc 1.95

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --debug skips the tool's fat-LTO link: an 8-minute install instead of over 30, and the
# tool's own speed does not matter (it drives cargo, Tailwind and wasm-bindgen).
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (first run only, about 8 minutes)"
  cargo install --locked --debug cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
  cargo install --locked --debug wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# cargo-leptos cannot download Tailwind or wasm-opt here; it uses node_modules/.bin.
if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--with-browser" ] && ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi

if [ "${1:-}" = "--with-browser" ] && ! command -v dovecot >/dev/null 2>&1; then
  log "installing Debian's dovecot-imapd for the email tests"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dovecot-imapd
fi

if [ "${1:-}" = "--with-browser" ] && ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  log "installing aiosmtpd (an SMTP server) for the email tests"
  python3 -m pip install --quiet --user aiosmtpd 2>/dev/null || python3 -m pip install --quiet aiosmtpd
fi
