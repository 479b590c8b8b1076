#!/usr/bin/env bash
# Serves the Rack app with WEBrick on a free port and drives it with curl:
# commands, the todo_rows table, a rejection as 409/422 with its reason, a
# wrong field as 400. Run by bindings/ruby/test.sh (needs the CLI and the
# library built, EVENTFOLD_LIB set).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$ROOT/target/debug/eventfold" generate --lang ruby examples/todos/todos.model -o "$TMP/generated" --package App >/dev/null
export EVENTFOLD_GENERATED=$TMP/generated EVENTFOLD_STORE=sqlite:$TMP/todos.db
mkfifo "$TMP/ready"
ruby -I bindings/ruby/lib examples/ruby-rack/server.rb 0 >"$TMP/ready" 2>"$TMP/server.log" &
SERVER=$!
# The server's first line says its port; the timeout only guards against
# one that never starts.
if ! read -r -t 120 line <"$TMP/ready"; then cat "$TMP/server.log"; exit 1; fi
exec 3<"$TMP/ready" # keep the pipe open so later output does not block the server
PORT=${line##* }
URL=http://127.0.0.1:$PORT

passed=0 failed=0
expect() { # expect NAME WANT_STATUS WANT_BODY_PART curl-args...
  local name=$1 want=$2 part=$3; shift 3
  local out status
  out=$(curl -s -w '\n%{http_code}' "$@")
  status=${out##*$'\n'}; out=${out%$'\n'*}
  if [ "$status" = "$want" ] && [[ $out == *"$part"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL $name: status $status (want $want), body $out (want $part)"
  fi
}
expect "health" 200 '"ok"' "$URL/health"
expect "create" 201 '"type":"created"' -X POST -d '{"id":"kettle","text":"Descale the kettle"}' "$URL/lists/kitchen/todos"
expect "create another" 201 '"version":2' -X POST -d '{"id":"bins","text":"Take the bins out"}' "$URL/lists/kitchen/todos"
expect "duplicate is 409" 409 '"reason":"duplicate"' -X POST -d '{"id":"kettle","text":"Again"}' "$URL/lists/kitchen/todos"
expect "blank is 422" 422 '"reason":"blank"' -X POST -d '{"id":"mop","text":"  "}' "$URL/lists/kitchen/todos"
expect "wrong field name is 400" 400 'unknown keyword: :title' -X POST -d '{"id":"mop","text":"Mop","title":"Mop"}' "$URL/lists/kitchen/todos"
expect "missing field is 400" 400 'missing keyword: :text' -X POST -d '{"id":"mop","title":"Mop"}' "$URL/lists/kitchen/todos"
expect "wrong field type is 400" 400 'CreateNew#id: expected String, got 5' -X POST -d '{"id":5,"text":"Mop"}' "$URL/lists/kitchen/todos"
expect "complete" 200 '"version":3' -X POST -d "" "$URL/lists/kitchen/todos/kettle/complete"
expect "complete a missing todo is 404" 404 '"reason":"missing"' -X POST -d "" "$URL/lists/kitchen/todos/nope/complete"
expect "todo_rows" 200 '{"list_id":"kitchen","id":"bins","text":"Take the bins out","completed":false,"done_at":null}' "$URL/lists/kitchen/todos"
expect "todo_rows done" 200 '"id":"kettle","text":"Descale the kettle","completed":true,"done_at":"' "$URL/lists/kitchen/todos"
expect "another list is empty" 200 '[]' "$URL/lists/garage/todos"
expect "state" 200 '"remaining":1' "$URL/lists/kitchen"
expect "no route" 404 '"error":"not_found"' "$URL/nowhere"
echo "ruby-rack: $passed passed, $failed failed"
[ "$failed" = 0 ]
