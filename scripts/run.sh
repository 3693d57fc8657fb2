#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves msgbuddy on
# http://127.0.0.1:3000 with an embedded SQLite database under ./data/. The first run seeds
# a demo workspace and prints its login.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec cargo leptos serve "$@"
