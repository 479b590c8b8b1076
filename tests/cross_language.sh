#!/usr/bin/env bash
# One stream, five hosts: the CLI, Python, Node, Ruby and PHP (the last two
# on the C ABI) each execute a command on the same SQLite file, in turn,
# through their public APIs; then the same round on PostgreSQL, on a fresh
# schema of the server in EVENTFOLD_TEST_POSTGRES (skipped with a note when
# it is unset, a failure when EVENTFOLD_REQUIRE_POSTGRES is set without it).
# Then every one of them proposes the same command on the result, and their
# events must be the same JSON. (The JVM runs the
# same scenarios in its own suite; a JVM start per step would double the
# time of this script.) This is the promise of eventfold: the
# same aggregate, the same store, the same answers, from every host.
#
# Run after the bindings are built (`make test` does it in that order).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"
model="$root/examples/todos/todos.model"
passed=0
failed=0
check() { # name, expected, got
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; echo "  expected: $2"; echo "  got:      $3"; fi
}

cli="$root/target/debug/eventfold"
py="$root/bindings/python/.venv/bin/python"
export EVENTFOLD_LIB="$root/target/debug/libeventfold.so"
# The tests' debug addon, which index.js loads only when named.
export EVENTFOLD_NATIVE="$(ls "$root"/bindings/node/eventfold.*.debug.node | head -n 1)"

# The round: each host in turn writes to the stream Todos-shared of $store;
# leaves the state they made in $state.
round() { # name, store
  local name=$1 store=$2
  # 1. The CLI creates the list.
  "$cli" exec --store "$store" --model "$model" Todos shared \
    '{"type":"create-new","data":{"id":"a","text":"from the CLI"}}' >/dev/null

  # 2. Python adds to it.
  "$py" - "$store" "$model" <<'PY'
import sys
from eventfold import Domain, Engine
with Engine(sys.argv[1], Domain.from_files(sys.argv[2])) as engine:
    engine.execute("Todos", "shared", {"type": "create-new", "data": {"id": "b", "text": "from Python"}})
PY

  # 3. Node ticks the CLI's todo off.
  node -e '
  const { Domain, Engine } = require(process.argv[1])
  const engine = Engine.openSync(process.argv[2], Domain.fromFiles(process.argv[3]))
  engine.executeSync("Todos", "shared", { type: "change-completed", data: { id: "a", completed: true } })
  engine.closeSync()
  ' "$root/bindings/node" "$store" "$model"

  # 4. Ruby adds one more.
  ruby -I "$root/bindings/ruby/lib" -e '
  require "eventfold"
  engine = Eventfold::Engine.open(ARGV[0], Eventfold::Domain.from_files(ARGV[1]))
  engine.execute("Todos", "shared", { "type" => "create-new", "data" => { "id" => "c", "text" => "from Ruby" } })
  engine.close
  ' "$store" "$model"

  # 5. PHP deletes Python's.
  php -d ffi.enable=1 -r '
  require $argv[1] . "/bindings/php/tests/bootstrap.php";
  $engine = Eventfold\Engine::open($argv[2], Eventfold\Domain::fromFiles($argv[3]));
  $engine->execute("Todos", "shared", ["type" => "delete", "data" => ["id" => "b"]]);
  $engine->close();
  ' "$root" "$store" "$model"

  # Every language wrote to one stream, in order, with no gap.
  versions="$("$cli" events Todos-shared --store "$store" | "$py" -c 'import sys, json; print(" ".join(str(json.loads(l)["version"]) for l in sys.stdin))')"
  check "$name: five commands from five hosts made versions 1 to 5" "1 2 3 4 5" "$versions"
  state="$("$cli" state --store "$store" --model "$model" Todos shared)"
  expected='{"state":{"todos":{"a":{"id":"a","text":"from the CLI","completed":true},"c":{"id":"c","text":"from Ruby","completed":false}}},"version":5}'
  check "$name: the CLI reads the state they made together" "$expected" "$(echo "$state" | "$py" -c 'import sys, json; print(json.dumps(json.load(sys.stdin), separators=(",", ":")))')"
}

round SQLite "sqlite:$tmp/shared.db"
sqlite_state=$state

# The same round on PostgreSQL, on a schema of its own, dropped after.
pg_schema=""
drop_pg_schema() {
  [ -n "$pg_schema" ] || return 0
  local psql
  psql="$(command -v psql || { ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1; } || true)"
  [ -n "$psql" ] || { echo "note: no psql: the schema $pg_schema is left on the test server" >&2; return 0; }
  "$psql" -X -q -v ON_ERROR_STOP=1 "${EVENTFOLD_TEST_POSTGRES%%\?*}" \
    -c "DROP SCHEMA IF EXISTS $pg_schema CASCADE" >/dev/null 2>&1 \
    || echo "note: could not drop the schema $pg_schema on the test server" >&2
}
trap 'drop_pg_schema; rm -rf "$tmp"' EXIT
if [ -n "${EVENTFOLD_TEST_POSTGRES:-}" ]; then
  pg_schema="t_cross_$$"
  drop_pg_schema
  case "$EVENTFOLD_TEST_POSTGRES" in *\?*) sep='&' ;; *) sep='?' ;; esac
  round PostgreSQL "$EVENTFOLD_TEST_POSTGRES${sep}schema=$pg_schema"
  check "PostgreSQL: the same state as on SQLite" "$sqlite_state" "$state"
elif [ -n "${EVENTFOLD_REQUIRE_POSTGRES:-}" ]; then
  check "PostgreSQL round" "a server in EVENTFOLD_TEST_POSTGRES" "EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not"
else
  echo "note: the PostgreSQL round is skipped (no server: set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)"
fi
state=$sqlite_state

# 6. Every host proposes the same command on that state: the same events.
cmd='{"type":"clear-done","data":{}}'
state_only="$(echo "$state" | "$py" -c 'import sys, json; print(json.dumps(json.load(sys.stdin)["state"]))')"
canon() { "$py" -c 'import sys, json; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":")))'; }
want="$("$cli" propose --model "$model" Todos --state "$state_only" "$cmd" | canon)"
check "the CLI proposes" '[{"data":{"ids":["a"]},"type":"done-cleared"}]' "$want"
got="$("$py" - "$model" "$state_only" "$cmd" <<'PY' | canon
import sys, json
from eventfold import Domain
d = Domain.from_files(sys.argv[1])
print(json.dumps(d.propose("Todos", json.loads(sys.argv[2]), json.loads(sys.argv[3]))))
PY
)"
check "Python proposes the same" "$want" "$got"
got="$(node -e '
const { Domain } = require(process.argv[1])
const d = Domain.fromFiles(process.argv[2])
console.log(JSON.stringify(d.propose("Todos", JSON.parse(process.argv[3]), JSON.parse(process.argv[4]))))
' "$root/bindings/node" "$model" "$state_only" "$cmd" | canon)"
check "Node proposes the same" "$want" "$got"
got="$(ruby -I "$root/bindings/ruby/lib" -rjson -e '
require "eventfold"
d = Eventfold::Domain.from_files(ARGV[0])
puts JSON.generate(d.propose("Todos", JSON.parse(ARGV[1]), JSON.parse(ARGV[2])))
' "$model" "$state_only" "$cmd" | canon)"
check "Ruby proposes the same" "$want" "$got"
got="$(php -d ffi.enable=1 -r '
require $argv[1] . "/bindings/php/tests/bootstrap.php";
$d = Eventfold\Domain::fromFiles($argv[2]);
echo json_encode($d->propose("Todos", json_decode($argv[3], true), json_decode($argv[4], true))), "\n";
' "$root" "$model" "$state_only" "$cmd" | canon)"
check "PHP proposes the same" "$want" "$got"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
