#!/usr/bin/env bash
# A self-check of the tests' PostgreSQL server, end to end, as the tests use
# it: psql connects with the URL of EVENTFOLD_TEST_POSTGRES (a password over
# TCP), creates and drops a schema; and on a cluster of cluster.sh
# (EVENTFOLD_TEST_PG_STATE set) a committed row survives a crash restart
# (`restart immediate`) and the superuser can terminate a backend.
#
# Run it through with_cluster.sh, as `make test-postgres-infra` does.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cluster="$here/cluster.sh"

if [ -z "${EVENTFOLD_TEST_POSTGRES:-}" ]; then
  echo "check.sh: EVENTFOLD_TEST_POSTGRES is not set: run it as 'bash tests/postgres/with_cluster.sh bash tests/postgres/check.sh'" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
url=$EVENTFOLD_TEST_POSTGRES
state=${EVENTFOLD_TEST_PG_STATE:-}

# The cluster's own psql, else the one on PATH; no ~/.pgpass or ~/.psqlrc
# may stand in for the password in the URL.
psql=psql
[ -n "$state" ] && [ -x "$(cat "$state/bindir" 2>/dev/null)/psql" ] && psql="$(cat "$state/bindir")/psql"
export PGPASSFILE=/nonexistent/eventfold-check-no-pgpass PGCONNECT_TIMEOUT=30 PGOPTIONS="-c client_min_messages=warning"
unset PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE PGSERVICE
q() { "$psql" -X -q -A -t -v ON_ERROR_STOP=1 "$url" "$@"; }
suq() { bash "$cluster" superuser-psql "$state" -q -A -t -v ON_ERROR_STOP=1 "$@"; }

passed=0
failed=0
check() { # name, expected, got
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1"; echo "  expected: $2"; echo "  got:      $3"; fi
}
skip() { echo "skip $1"; }

check "connects with the URL's user and password" "eventfold" "$(q -c 'SELECT current_user' 2>&1)"

# The URL's password is really checked: a wrong one is refused.
wrong=$(echo "$url" | sed -E 's#^(postgres(ql)?://[^:/@]+):[^@]*@#\1:not-the-password@#')
if [ "$wrong" != "$url" ]; then
  out=$("$psql" -X -q -A -t "$wrong" -c 'SELECT 1' 2>&1)
  check "a wrong password is refused" "refused" "$(echo "$out" | grep -q 'password authentication failed' && echo refused || echo "$out")"
else
  skip "a wrong password is refused (the URL carries no password)"
fi

schema="eventfold_check_$$"
check "creates a schema and a table in it" "1" "$(q -c "CREATE SCHEMA $schema; CREATE TABLE $schema.t (n int); INSERT INTO $schema.t VALUES (1); SELECT count(*) FROM $schema.t" 2>&1)"
check "drops the schema" "0" "$(q -c "DROP SCHEMA $schema CASCADE; SELECT count(*) FROM pg_namespace WHERE nspname = '$schema'" 2>&1)"

if [ -z "$state" ]; then
  skip "the superuser and a crash restart (a server of your own: EVENTFOLD_TEST_PG_STATE is not set)"
else
  check "the tests' role is not a superuser" "f" "$(q -c "SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>&1)"
  check "settings: max_connections, fsync" "300|on" "$(q -c "SELECT current_setting('max_connections') || '|' || current_setting('fsync')" 2>&1)"

  # A committed row survives a crash (pg_ctl -m immediate) and the restart.
  marker="survives-$$-$RANDOM"
  q -c "CREATE TABLE IF NOT EXISTS eventfold_check_durable (v text); INSERT INTO eventfold_check_durable VALUES ('$marker')" >/dev/null 2>&1
  if bash "$cluster" restart "$state" immediate; then
    check "restart immediate: the server is back" "1" "$(q -c 'SELECT 1' 2>&1)"
    check "restart immediate: the committed row survived" "1" "$(q -c "SELECT count(*) FROM eventfold_check_durable WHERE v = '$marker'" 2>&1)"
  else
    check "restart immediate" "restarted" "failed"
  fi
  q -c "DROP TABLE IF EXISTS eventfold_check_durable" >/dev/null 2>&1

  # The superuser ends a session of the tests' role, as the fault tests do.
  app="eventfold-check-$$"
  PGAPPNAME=$app "$psql" -X -q "$url" -c 'SELECT pg_sleep(600)' >/dev/null 2>&1 &
  sleeper=$!
  seen=""
  for _ in $(seq 1 600); do  # a bound, not a timing: until the session shows
    seen=$(suq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app'" 2>/dev/null)
    [ "$seen" = "1" ] && break
    kill -0 "$sleeper" 2>/dev/null || break
    sleep 0.1
  done
  check "superuser-psql sees the session" "1" "$seen"
  terminated=$(suq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$app'" 2>&1)
  check "superuser-psql terminates it" "t" "$terminated"
  if [ "$terminated" = "t" ]; then
    wait "$sleeper"
    rc=$?
    check "the terminated session's client fails" "failed" "$([ "$rc" -ne 0 ] && echo failed || echo "exit $rc")"
  else
    kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
