#!/usr/bin/env bash
# Serves index.php with `php -S` on a free port and drives it with curl:
# commands, the todo_rows table, a rejection as 409/422 with its reason, a
# wrong field as 400. Run by bindings/php/test.sh (needs the CLI and the
# library built, EVENTFOLD_LIB set).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$ROOT/target/debug/eventfold" generate --lang php examples/todos/todos.model -o "$TMP/generated" --package App >/dev/null
export EVENTFOLD_GENERATED=$TMP/generated EVENTFOLD_STORE=sqlite:$TMP/todos.db
PORT=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
php -d ffi.enable=true -S "127.0.0.1:$PORT" examples/php-front-controller/index.php >"$TMP/server.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$PORT
# Ready when /health answers; the bound only guards against a server that never starts.
for _ in $(seq 1 600); do
  curl -fs "$URL/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$TMP/server.log"; exit 1; }
  sleep 0.05
done

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
expect "create" 201 '"type":"created"' -X POST -d '{"id":"kettle","text":"Descale the kettle"}' "$URL/lists/kitchen/todos"
expect "create another" 201 '"version":2' -X POST -d '{"id":"bins","text":"Take the bins out"}' "$URL/lists/kitchen/todos"
expect "duplicate is 409" 409 '"reason":"duplicate"' -X POST -d '{"id":"kettle","text":"Again"}' "$URL/lists/kitchen/todos"
expect "blank is 422" 422 '"reason":"blank"' -X POST -d '{"id":"mop","text":"  "}' "$URL/lists/kitchen/todos"
expect "wrong field name is 400" 400 'Unknown named parameter $title' -X POST -d '{"id":"mop","title":"Mop"}' "$URL/lists/kitchen/todos"
expect "wrong field type is 400" 400 'must be of type string, int given' -X POST -d '{"id":5,"text":"Mop"}' "$URL/lists/kitchen/todos"
expect "complete" 200 '"version":3' -X POST "$URL/lists/kitchen/todos/kettle/complete"
expect "complete a missing todo is 404" 404 '"reason":"missing"' -X POST "$URL/lists/kitchen/todos/nope/complete"
expect "todo_rows" 200 '{"list_id":"kitchen","id":"bins","text":"Take the bins out","completed":false,"done_at":null}' "$URL/lists/kitchen/todos"
expect "todo_rows done" 200 '"id":"kettle","text":"Descale the kettle","completed":true,"done_at":"' "$URL/lists/kitchen/todos"
expect "another list is empty" 200 '[]' "$URL/lists/garage/todos"
expect "state" 200 '"remaining":1' "$URL/lists/kitchen"
expect "no route" 404 '"error":"not_found"' "$URL/nowhere"

# The same app under php -S without -d ffi.enable (Debian's default is
# `preload`, which php -S refuses): the answer says which ini line to add.
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
php -d ffi.enable=preload -S "127.0.0.1:$PORT" examples/php-front-controller/index.php >"$TMP/server2.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do
  curl -fs "$URL/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$TMP/server2.log"; exit 1; }
  sleep 0.05
done
expect "FFI off names the ini line" 500 'Add the line `ffi.enable=true` to php.ini' "$URL/lists/kitchen/todos"
echo "php-front-controller: $passed passed, $failed failed"
[ "$failed" = 0 ]
