#!/usr/bin/env bash
# Builds the Node addon and runs every Node test: the shared scenarios, the
# domain and the engine (memory, SQLite, and PostgreSQL when
# EVENTFOLD_TEST_POSTGRES names a server: test/stores.js), the read side,
# model changes, workers, bad input, the HTTP and tables examples, and `tsc --noEmit` over
# the typed example.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
example="$root/examples/node"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node/npm missing: installing them with apt"
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi

# npm ci in $1 unless node_modules is already installed from the current lock.
install() {
  if [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

cd "$here"
install "$here"
node build.js

install "$example"
echo "tsc --noEmit over examples/node/typed.ts"
(cd "$example" && npx --no-install tsc --noEmit -p .)
echo "running the typed example, compiled"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$example" && npx --no-install tsc -p . --noEmit false --outDir "$out")
NODE_PATH="$example/node_modules" node -e "require('$out/typed.js').main('$root/examples/todos/todos.model').catch((e) => { console.error(e); process.exit(1) })" >/dev/null

echo "running the tables example, as its README says"
(cd "$example" && node tables.js) >/dev/null

node --test --test-reporter=spec test/*.test.js test/*.test.mjs
