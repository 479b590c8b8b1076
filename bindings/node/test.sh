#!/usr/bin/env bash
# Builds the Node addon and runs every Node test: the shared scenarios, the
# engine (memory and SQLite), workers, bad input, and the typed example.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node/npm missing: installing them with apt"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi

cd "$here"
# npm ci when the lock changed since the last install (or nothing is installed).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.js

node --test --test-reporter=spec test/*.test.js
