#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: its own data directory, port,
# socket and log, all inside one state directory, run by an unprivileged
# user, and gone again after `stop`.
#
#   cluster.sh start STATE_DIR               a fresh cluster; writes STATE_DIR/env
#   cluster.sh stop STATE_DIR                stops it and removes STATE_DIR (idempotent)
#   cluster.sh restart STATE_DIR [immediate|fast]
#                                            stops it (default immediate: a crash) and
#                                            starts it again on the same port and data
#   cluster.sh superuser-psql STATE_DIR [psql args...]
#                                            psql as the superuser over the unix socket
#
# STATE_DIR holds: data/ (the cluster), sock/ (its unix socket, reachable by
# the cluster's user only), log/postgresql.log (the server's log), env (the
# export lines the tests source), and port, bindir and user (what restart,
# stop and superuser-psql need). docs/testing.md says how the tests use it.
set -euo pipefail

# Written first by start: stop removes only a directory that carries it.
MARKER=.eventfold-pg-cluster
# Bounds, not timings: how long a loaded machine may take before we give up.
START_TIMEOUT=${EVENTFOLD_PG_START_TIMEOUT:-180}
STOP_TIMEOUT=${EVENTFOLD_PG_STOP_TIMEOUT:-120}
PORT_ATTEMPTS=10
SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

die() { echo "cluster.sh: $*" >&2; exit 1; }

usage() {
  sed -n '6,12p' "$SCRIPT" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The newest server under /usr/lib/postgresql/*/bin (Debian's layout), or
# PG_BINDIR when set, or the one whose initdb is on PATH. Empty when none.
find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] && echo "$PG_BINDIR"
    return 0
  fi
  local dir best=""
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && [ -x "$dir/psql" ]; then
      best=$dir
    fi
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
    [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && [ -x "$dir/psql" ] && best=$dir
  fi
  echo "$best"
}

install_postgres() {
  echo "cluster.sh: PostgreSQL is missing: installing it with apt" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      die "PostgreSQL is missing and installing it needs root: run 'apt-get install postgresql' as root, or set EVENTFOLD_TEST_POSTGRES to a server of your own (docs/testing.md)"
    fi
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

bindir_or_install() {
  local dir
  dir="$(find_bindir)"
  if [ -z "$dir" ]; then
    install_postgres
    dir="$(find_bindir)"
    [ -n "$dir" ] || die "apt installed postgresql but no server binaries are under /usr/lib/postgresql/*/bin; set PG_BINDIR to the directory that holds initdb and pg_ctl"
  fi
  echo "$dir"
}

# The unprivileged user the server runs as: postgres (or eventfold-pg) under
# root, since PostgreSQL refuses to run as root; otherwise whoever we are.
cluster_user() {
  if [ -n "${EVENTFOLD_PG_OS_USER:-}" ]; then echo "$EVENTFOLD_PG_OS_USER"; return; fi
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  if id -u postgres >/dev/null 2>&1; then echo postgres; return; fi
  if ! id -u eventfold-pg >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin eventfold-pg
  fi
  echo eventfold-pg
}

# as USER CMD...: runs CMD as USER, from the state directory (so that no
# tool complains it cannot read root's working directory). AS_HERE=1 keeps
# the caller's directory (superuser-psql, whose arguments may name files).
as() {
  local user=$1; shift
  local dir=$STATE
  [ -z "${AS_HERE:-}" ] || dir=$PWD
  # 9>&-: the server must not inherit restart's lock, or it would hold it.
  if [ "$(id -un)" = "$user" ]; then
    (cd "$dir" && "$@" 9>&-)
  elif [ "$(id -u)" = 0 ]; then
    (cd "$dir" && runuser -u "$user" -- "$@" 9>&-)
  else
    die "this cluster runs as '$user'; run cluster.sh as that user or as root"
  fi
}

# A local TCP port that is free now, from the kernel (bind port 0) when
# python3 is there, otherwise a random one that nobody answers on. start
# still retries on another port when the server cannot bind it.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return
  fi
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

load_state() { # the state a started cluster left behind
  [ -f "$STATE/port" ] && [ -f "$STATE/bindir" ] && [ -f "$STATE/user" ] \
    || die "$STATE holds no cluster started by cluster.sh start"
  PORT=$(cat "$STATE/port"); BIN=$(cat "$STATE/bindir"); USER_=$(cat "$STATE/user")
  DATA=$STATE/data; LOG=$STATE/log/postgresql.log; SOCK=$STATE/sock
}

log_tail() {
  echo "--- last lines of $LOG ---" >&2
  tail -n 30 "$LOG" >&2 2>/dev/null || echo "(no log)" >&2
  echo "---" >&2
}

# Waits until the server accepts connections over TCP, up to START_TIMEOUT s.
wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d eventfold -t 5; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail
      die "the server in $DATA does not accept connections on 127.0.0.1:$PORT after ${START_TIMEOUT}s"
    fi
    sleep 0.2
  done
}

# pg_ctl start; returns 1 when the server failed because its port was taken
# (start then tries another), and dies on any other failure.
pg_start() {
  local from
  from=$( { wc -l < "$LOG"; } 2>/dev/null || echo 0)
  if as "$USER_" "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-p $PORT" -w -t "$START_TIMEOUT" start \
      >"$STATE/pg_ctl.out" 2>&1; then
    return 0
  fi
  if tail -n "+$((from + 1))" "$LOG" 2>/dev/null \
      | grep -qE 'could not bind|Address already in use|could not create any TCP/IP sockets'; then
    as "$USER_" "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    return 1
  fi
  cat "$STATE/pg_ctl.out" >&2
  log_tail
  die "the server in $DATA did not start (pg_ctl start failed)"
}

# Stops the server of DATA in MODE when one runs; falls back to immediate,
# then to killing the postmaster, so that nothing is left running.
pg_stop() {
  local mode=$1
  [ -f "$DATA/postmaster.pid" ] || return 0
  as "$USER_" "$BIN/pg_ctl" -D "$DATA" -m "$mode" -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 && return 0
  [ -f "$DATA/postmaster.pid" ] || return 0
  as "$USER_" "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 && return 0
  local pid
  pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  return 0
}

cmd_start() {
  mkdir -p "$STATE"
  STATE="$(cd "$STATE" && pwd)"
  # A state directory used before: stop what runs there and start afresh.
  if [ -f "$STATE/$MARKER" ] && [ -f "$STATE/port" ]; then
    ( load_state; pg_stop immediate ) || true
  elif [ -n "$(ls -A "$STATE")" ] && [ ! -f "$STATE/$MARKER" ]; then
    die "$STATE is not empty and not a cluster.sh state directory: give an empty or new directory"
  fi
  touch "$STATE/$MARKER"
  rm -rf "$STATE/data" "$STATE/sock" "$STATE/log" "$STATE/env" "$STATE/port"

  BIN="$(bindir_or_install)"
  USER_="$(cluster_user)"
  DATA=$STATE/data; LOG=$STATE/log/postgresql.log; SOCK=$STATE/sock
  echo "$BIN" > "$STATE/bindir"
  echo "$USER_" > "$STATE/user"

  # The socket's path must fit in sun_path (107 bytes).
  [ $(( ${#SOCK} + 18 )) -le 107 ] \
    || die "the state directory's path is too long for a unix socket: use a shorter one, e.g. TMPDIR=/tmp"
  chmod 755 "$STATE"
  mkdir -p "$DATA" "$SOCK" "$STATE/log"
  chmod 700 "$DATA" "$SOCK"
  if [ "$(id -un)" != "$USER_" ]; then
    chown "$USER_:" "$DATA" "$SOCK" "$STATE/log"
    if ! runuser -u "$USER_" -- test -x "$STATE" -a -w "$DATA"; then
      die "user '$USER_' cannot reach $STATE: a parent directory is closed to it (it needs o+x); open it, or use a state directory directly under /tmp (TMPDIR=/tmp)"
    fi
  fi

  # Trust on the socket, which only the cluster's user can open (sock/ is
  # 0700); a password over TCP, so the tests' URLs really authenticate.
  as "$USER_" "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE/log/initdb.log" 2>&1 \
    || { tail -n 30 "$STATE/log/initdb.log" >&2; die "initdb failed in $DATA"; }
  as "$USER_" tee -a "$DATA/postgresql.conf" >/dev/null <<EOF

# cluster.sh: a throwaway cluster for the tests
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
unix_socket_permissions = 0700
max_connections = 300
shared_buffers = 128MB
# Real durability: the fault tests crash the server (pg_ctl -m immediate)
# and expect every acknowledged commit to survive.
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = 'scram-sha-256'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF

  local attempt
  for attempt in $(seq 1 "$PORT_ATTEMPTS"); do
    PORT="$(free_port)"
    echo "$PORT" > "$STATE/port"  # before the start, so that stop finds a half-started server
    if pg_start; then break; fi
    echo "cluster.sh: port $PORT was taken, trying another" >&2
    [ "$attempt" -lt "$PORT_ATTEMPTS" ] || { log_tail; die "no free port after $PORT_ATTEMPTS attempts"; }
  done
  # The port goes into the configuration so that a restart keeps it.
  echo "port = $PORT" | as "$USER_" tee -a "$DATA/postgresql.conf" >/dev/null
  wait_ready

  as "$USER_" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres -d postgres >/dev/null <<'EOF'
CREATE ROLE eventfold LOGIN PASSWORD 'eventfold' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE eventfold OWNER eventfold;
\connect eventfold
GRANT CREATE, CONNECT, TEMPORARY ON DATABASE eventfold TO eventfold;
ALTER SCHEMA public OWNER TO eventfold;
EOF

  {
    echo "export EVENTFOLD_TEST_POSTGRES=postgres://eventfold:eventfold@127.0.0.1:$PORT/eventfold"
    printf 'export EVENTFOLD_TEST_PG_STATE=%q\n' "$STATE"
    echo "export EVENTFOLD_REQUIRE_POSTGRES=1"
    printf 'export EVENTFOLD_TEST_PG_CLUSTER=%q\n' "$SCRIPT"
  } > "$STATE/env"
  echo "cluster.sh: PostgreSQL $("$BIN/postgres" -V | awk '{print $3}') as $USER_ on 127.0.0.1:$PORT, state in $STATE"
}

cmd_stop() {
  [ -d "$STATE" ] || return 0
  STATE="$(cd "$STATE" && pwd)"
  if [ ! -f "$STATE/$MARKER" ]; then
    echo "cluster.sh: $STATE is not a cluster.sh state directory: left alone" >&2
    return 0
  fi
  if [ -f "$STATE/port" ] && [ -f "$STATE/bindir" ] && [ -f "$STATE/user" ]; then
    ( load_state; pg_stop fast ) || true
  fi
  rm -rf "$STATE"
}

cmd_restart() {
  local mode=${1:-immediate}
  case $mode in immediate|fast|smart) ;; *) die "restart mode is immediate or fast, not '$mode'" ;; esac
  STATE="$(cd "$STATE" 2>/dev/null && pwd)" || die "no state directory $STATE"
  load_state
  # Tests of one binary run in parallel: one restart at a time.
  exec 9>"$STATE/lock"
  flock 9
  if [ -f "$DATA/postmaster.pid" ]; then
    as "$USER_" "$BIN/pg_ctl" -D "$DATA" -m "$mode" -w -t "$STOP_TIMEOUT" stop >/dev/null \
      || { log_tail; die "pg_ctl -m $mode stop failed for $DATA"; }
  fi
  if ! pg_start; then
    log_tail
    die "port $PORT was taken while the server was down; the cluster in $STATE is stopped"
  fi
  wait_ready
}

cmd_superuser_psql() {
  STATE="$(cd "$STATE" 2>/dev/null && pwd)" || die "no state directory $STATE"
  load_state
  AS_HERE=1 as "$USER_" "$BIN/psql" -X -h "$SOCK" -p "$PORT" -U postgres -d eventfold "$@"
}

[ $# -ge 2 ] || usage
sub=$1; STATE=$2; shift 2
case $sub in
  start) [ $# -eq 0 ] || usage; cmd_start ;;
  stop) [ $# -eq 0 ] || usage; cmd_stop ;;
  restart) [ $# -le 1 ] || usage; cmd_restart "$@" ;;
  superuser-psql) cmd_superuser_psql "$@" ;;
  *) usage ;;
esac
