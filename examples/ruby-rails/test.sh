#!/usr/bin/env bash
# Serves the Rails app with WEBrick on a free port and drives it with curl:
# create / complete / delete, the todo_rows table, a rejection as 409 / 404
# / 422 with its reason, a wrong field as 400. Run by bindings/ruby/test.sh
# (needs Debian's ruby-rails, the CLI and the library built, EVENTFOLD_LIB
# set).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$ROOT/target/debug/eventfold" generate --lang ruby examples/todos/todos.model -o "$TMP/generated" --package App >/dev/null
export EVENTFOLD_GENERATED=$TMP/generated EVENTFOLD_STORE=sqlite:$TMP/todos.db
mkfifo "$TMP/ready"
ruby -I bindings/ruby/lib examples/ruby-rails/server.rb 0 >"$TMP/ready" 2>"$TMP/server.log" &
SERVER=$!
# The server's first line says its port; the timeout only guards against
# one that never starts (Rails boots in about a second).
if ! read -r -t 120 line <"$TMP/ready"; then cat "$TMP/server.log"; exit 1; fi
exec 3<"$TMP/ready" # keep the pipe open so later output does not block the server
PORT=${line##* }
URL=http://127.0.0.1:$PORT
JSON=(-H "content-type: application/json")

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
expect "create" 201 '"events":[{"type":"created","data":{"id":"kettle","text":"Descale the kettle","completed":false}}]' "${JSON[@]}" -d '{"id":"kettle","text":"Descale the kettle"}' "$URL/lists/kitchen/todos"
expect "create another" 201 '"version":2' "${JSON[@]}" -d '{"id":"bins","text":"Take the bins out"}' "$URL/lists/kitchen/todos"
expect "create a third" 201 '"version":3' "${JSON[@]}" -d '{"id":"mop","text":"Mop the floor"}' "$URL/lists/kitchen/todos"
expect "duplicate is 409" 409 '{"error":"rejected","reason":"duplicate","message":"todo kettle already exists"}' "${JSON[@]}" -d '{"id":"kettle","text":"Again"}' "$URL/lists/kitchen/todos"
expect "blank is 422" 422 '"reason":"blank"' "${JSON[@]}" -d '{"id":"rug","text":"  "}' "$URL/lists/kitchen/todos"
expect "wrong field name is 400" 400 'unknown keyword: :title' "${JSON[@]}" -d '{"id":"rug","text":"Rug","title":"Rug"}' "$URL/lists/kitchen/todos"
expect "missing field is 400" 400 'missing keyword: :text' "${JSON[@]}" -d '{"id":"rug","title":"Rug"}' "$URL/lists/kitchen/todos"
expect "wrong field type is 400" 400 'CreateNew#id: expected String, got 5' "${JSON[@]}" -d '{"id":5,"text":"Rug"}' "$URL/lists/kitchen/todos"
expect "not an object is 400" 400 'the body must be a JSON object' "${JSON[@]}" -d '["rug"]' "$URL/lists/kitchen/todos"
expect "bad JSON is 400" 400 '"error":"bad_request"' "${JSON[@]}" -d '{"id":' "$URL/lists/kitchen/todos"
expect "not JSON is 400" 400 'content-type: application/json' -d 'id=rug' "$URL/lists/kitchen/todos"
expect "complete" 200 '{"version":4}' -X POST -d "" "$URL/lists/kitchen/todos/kettle/complete"
expect "complete a missing todo is 404" 404 '"reason":"missing"' -X POST -d "" "$URL/lists/kitchen/todos/nope/complete"
expect "delete" 200 '{"version":5}' -X DELETE "$URL/lists/kitchen/todos/mop"
expect "delete again is 404" 404 '{"error":"rejected","reason":"missing","message":"no todo mop"}' -X DELETE "$URL/lists/kitchen/todos/mop"
expect "todo_rows" 200 '{"list_id":"kitchen","id":"bins","text":"Take the bins out","completed":false,"done_at":null}' "$URL/lists/kitchen/todos"
expect "todo_rows done" 200 '"id":"kettle","text":"Descale the kettle","completed":true,"done_at":"' "$URL/lists/kitchen/todos"
if [[ $(curl -s "$URL/lists/kitchen/todos") == *'"mop"'* ]]; then
  failed=$((failed + 1)); echo "FAIL todo_rows: the deleted todo is still there"
else passed=$((passed + 1)); fi
expect "another list is empty" 200 '[]' "$URL/lists/garage/todos"
expect "state" 200 '"remaining":1' "$URL/lists/kitchen"
expect "no route" 404 '{"error":"not_found","message":"no route for GET /nowhere"}' "$URL/nowhere"
echo "ruby-rails: $passed passed, $failed failed"
[ "$failed" = 0 ]
