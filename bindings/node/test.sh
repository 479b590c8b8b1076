#!/usr/bin/env bash
# Builds the Node addon and runs every Node test: the shared scenarios, the
# domain and the engine (memory, SQLite, and PostgreSQL when
# EVENTFOLD_TEST_POSTGRES names a server: test/stores.js), the read side,
# model changes, workers, bad input, the HTTP and tables examples, the
# TypeScript that `eventfold generate --lang ts` writes (tsc --strict over
# it, wrong fields caught, the typed todo app run), `tsc --noEmit` over the
# typed examples, and the Express example over real HTTP.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
example="$root/examples/node"
express="$root/examples/node-express"

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
install "$here"   # typescript and @types/node, pinned, for test/generate.test.js
# The debug addon; index.js loads it only when EVENTFOLD_NATIVE names it.
export EVENTFOLD_NATIVE="$(node build.js | tail -n 1)"
echo "building the CLI (for eventfold generate)"
(cd "$root" && cargo build -q -p eventfold-cli)
cli="$root/target/debug/eventfold"

echo "the checked-in generated TypeScript is what the model gives"
"$cli" generate --lang ts "$root/examples/todos/todos.model" -o "$example/generated" --check
"$cli" generate --lang ts "$root/examples/todos/todos.model" -o "$express/src/generated" --check

install "$example"
echo "tsc --noEmit over examples/node/typed.ts and todos-app.ts"
(cd "$example" && npx --no-install tsc --noEmit -p .)
echo "running the typed examples, compiled"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$example" && npx --no-install tsc -p . --noEmit false --outDir "$out")
NODE_PATH="$example/node_modules" node -e "require('$out/typed.js').main('$root/examples/todos/todos.model').catch((e) => { console.error(e); process.exit(1) })" >/dev/null
NODE_PATH="$example/node_modules" node "$out/todos-app.js" "$root/examples/todos/todos.model" >/dev/null

echo "running the tables example, as its README says"
(cd "$example" && node tables.js) >/dev/null

install "$express"
echo "building examples/node-express"
(cd "$express" && npx --no-install tsc -p .)

EVENTFOLD_CLI="$cli" node --test --test-reporter=spec test/*.test.js test/*.test.mjs
