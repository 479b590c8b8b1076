#!/usr/bin/env bash
# Tests of editors/: the TextMate grammar, tokenized as VS Code does, and
# the VS Code extension folder. Needs Node 18 or later and npm; installs the
# two test packages (package-lock.json) the first time.
set -euo pipefail
cd "$(dirname "$0")/test"

if ! command -v node >/dev/null 2>&1; then
  echo "editors/test.sh: node is not on PATH; install Node 18 or later (apt-get install nodejs npm)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "editors/test.sh: node $(node --version) is too old for node --test; install Node 18 or later" >&2
  exit 1
fi
if [ ! -d node_modules/vscode-textmate ] || [ ! -d node_modules/vscode-oniguruma ]; then
  npm ci --no-audit --no-fund
fi

exec node --test grammar.test.js vscode.test.js
