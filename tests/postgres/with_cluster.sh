#!/usr/bin/env bash
# with_cluster.sh CMD [ARGS...]: runs CMD with a PostgreSQL server for the
# tests, and returns CMD's exit status.
#
# When EVENTFOLD_TEST_POSTGRES is already set (a server of your own), CMD
# just runs against it. Otherwise a throwaway cluster is started in a new
# state directory under ${TMPDIR:-/tmp} (cluster.sh start), its env file is
# sourced (EVENTFOLD_TEST_POSTGRES, EVENTFOLD_TEST_PG_STATE,
# EVENTFOLD_REQUIRE_POSTGRES, EVENTFOLD_TEST_PG_CLUSTER), CMD runs, and the
# cluster is stopped and removed on every way out: success, failure, Ctrl-C,
# TERM. A run killed with SIGKILL cannot clean up; the next run stops the
# cluster it left behind (its owner process is gone) before starting its own.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: with_cluster.sh CMD [ARGS...]" >&2; exit 2; }

if [ -n "${EVENTFOLD_TEST_POSTGRES:-}" ]; then
  exec "$@"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cluster="$here/cluster.sh"
base="${TMPDIR:-/tmp}"

# "PID STARTTIME" of a process, so that a reused PID is not taken for its owner.
identity() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  echo "$1 $(echo "${stat##*) }" | awk '{print $20}')"
}

# Stops the clusters of earlier runs whose with_cluster.sh no longer lives.
for old in "$base"/eventfold-pg.*; do
  [ -f "$old/owner" ] || continue
  read -r pid _ < "$old/owner" || continue
  if [ "$(identity "$pid" 2>/dev/null)" != "$(cat "$old/owner")" ]; then
    echo "with_cluster.sh: stopping the cluster left behind in $old" >&2
    bash "$cluster" stop "$old" || true
  fi
done

state="$(mktemp -d "$base/eventfold-pg.XXXXXXXXXX")" || { echo "with_cluster.sh: cannot create a state directory in $base" >&2; exit 1; }
identity $$ > "$state/owner"

child=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  bash "$cluster" stop "$state" || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# cluster.sh start refuses a non-empty directory that is not its own; the
# owner file is ours, so the marker goes first.
touch "$state/.eventfold-pg-cluster"
bash "$cluster" start "$state" || { echo "with_cluster.sh: the test cluster did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. "$state/env"

# CMD runs in the background so that a TERM to this script (make sends
# one on its way out) is handled at once: bash waits for a foreground child
# before it runs a trap. A background job would lose stdin and ignore
# SIGINT and SIGQUIT, and pass that on to every test it starts; the
# explicit <&0 and the trap reset keep both as they were.
( trap - INT QUIT; exec "$@" ) <&0 &
child=$!
wait "$child"
rc=$?
child=""
exit "$rc"
