#!/usr/bin/env bash
# The PHP package: installs php8.2-cli, phpunit and pdo_sqlite when missing,
# builds the C library, then runs the PHPUnit tests (scenarios, domain,
# engine on SQLite, the read side, bad input, a leak test), the scenario
# runner, the example, and examples/php-front-controller under php -S.
set -euo pipefail
cd "$(dirname "$0")/../.."

need() { # need COMMAND PACKAGE...: apt-get install the packages when COMMAND is missing
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need php php8.2-cli
need phpunit phpunit
# The example reads the projection's table with PDO.
if ! php -m | grep -qx pdo_sqlite; then
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-sqlite3 >/dev/null
fi

cargo build -q -p eventfold-ffi -p eventfold-cli
export EVENTFOLD_LIB=$PWD/target/debug/libeventfold.so

cd bindings/php
php -d ffi.enable=true "$(command -v phpunit)"
php -d ffi.enable=true tests/run-scenarios.php
# The example, with the header preloaded as php-fpm would (ffi.preload).
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
php bin/ffi-header.php > "$TMP/eventfold.h"
php -d ffi.enable=preload -d ffi.preload="$TMP/eventfold.h" ../../examples/php/todos.php "$TMP/todos.db" >/dev/null
# The front controller under php -S, driven with curl.
need curl curl
cd ../..
bash examples/php-front-controller/test.sh
