#!/usr/bin/env bash
# The C ABI: builds libeventfold (.so and .a), checks that include/eventfold.h
# is current, builds the C tests and examples/c/todos.c with gcc through
# pkg-config, and runs them under valgrind (0 errors, 0 bytes definitely lost):
# test_ffi (every function and error path), test_model_changes (upcasts, raw
# reads, migrate plan and apply, on_model_change; read with jansson); then the
# shared scenarios (v0 and v1) through the C API, read with jansson.
# The example reads its projection's table with the system's sqlite3.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

need() { # need COMMAND PACKAGE: apt-get install PACKAGE when COMMAND is missing
  command -v "$1" >/dev/null 2>&1 && return
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need gcc gcc
need g++ g++
need valgrind valgrind
need pkg-config pkg-config
# The scenario runner reads JSON with jansson (a header and a .pc, no command).
if ! pkg-config --exists jansson; then
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjansson-dev >/dev/null
fi
if ! pkg-config --exists sqlite3; then
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev >/dev/null
fi

cargo build -q -p eventfold-ffi -p eventfold-cli
cargo test -q -p eventfold-ffi --test header

OUT=$ROOT/target/c
mkdir -p "$OUT/pkgconfig"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
sed -e "s|@PREFIX@|$ROOT|" -e "s|@LIBDIR@|$ROOT/target/debug|" \
    -e "s|@INCLUDEDIR@|$ROOT/include|" -e "s|@VERSION@|$VERSION|" \
    include/eventfold.pc.in > "$OUT/pkgconfig/eventfold.pc"
export PKG_CONFIG_PATH=$OUT/pkgconfig
CFLAGS="-std=c11 -Wall -Wextra -Werror -g $(pkg-config --cflags eventfold)"
LIBS="$(pkg-config --libs eventfold) -Wl,-rpath,$ROOT/target/debug -lpthread"

gcc $CFLAGS bindings/c/tests/test_ffi.c $LIBS -o "$OUT/test_ffi"
gcc $CFLAGS $(pkg-config --cflags sqlite3) examples/c/todos.c $LIBS $(pkg-config --libs sqlite3) \
    -o "$OUT/todos"
gcc $CFLAGS $(pkg-config --cflags jansson) bindings/c/tests/run_scenarios.c $LIBS \
    $(pkg-config --libs jansson) -o "$OUT/run_scenarios"
gcc $CFLAGS $(pkg-config --cflags jansson) bindings/c/tests/test_model_changes.c $LIBS \
    $(pkg-config --libs jansson) -o "$OUT/test_model_changes"
# The static library links on its own with the private libs of the .pc.
gcc $CFLAGS bindings/c/tests/test_ffi.c "$ROOT/target/debug/libeventfold.a" \
    $(pkg-config --libs-only-l --static eventfold | sed 's/-leventfold//') -o "$OUT/test_ffi_static"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
VALGRIND=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite)
# The generated header (eventfold generate --lang c): strict C11 and C++,
# used against the real library; a misspelt name does not compile.
GEN=$TMP/gen
"$ROOT/target/debug/eventfold" generate --lang c examples/todos/todos.model -o "$GEN" >/dev/null
"$ROOT/target/debug/eventfold" generate --lang c examples/todos/todos.model -o "$GEN" --check >/dev/null
gcc $CFLAGS -pedantic -I"$GEN" bindings/c/tests/test_generated.c $LIBS -o "$OUT/test_generated"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$GEN" bindings/c/tests/test_generated_cxx.cpp \
    -o "$OUT/test_generated_cxx"
"$OUT/test_generated_cxx" >/dev/null
if gcc -std=c11 -Wall -Wextra -Werror -pedantic -I"$GEN" -c bindings/c/tests/wrong_name.c \
    -o "$TMP/wrong.o" 2>"$TMP/wrong.err"; then
  echo "FAIL: a wrong field name compiled against the generated header"; exit 1
fi
grep -q "TODOS_CMD_CREATE_NEW_F_TITLE" "$TMP/wrong.err" || { cat "$TMP/wrong.err"; exit 1; }
echo "generated header: a wrong field name is a compile error (ok)"
"${VALGRIND[@]}" "$OUT/test_generated" examples/todos/todos.model
"$OUT/test_ffi_static" "$TMP/static.db" > /dev/null
"${VALGRIND[@]}" "$OUT/test_ffi" "$TMP/test.db"
mkdir "$TMP/models"
"${VALGRIND[@]}" "$OUT/test_model_changes" "$TMP/models"
"${VALGRIND[@]}" "$OUT/todos" examples/todos/todos.model "$TMP/todos.db" > "$TMP/todos.out"
grep -qx 'todo_rows: 2 rows' "$TMP/todos.out" || { echo "examples/c/todos.c did not read todo_rows:"; cat "$TMP/todos.out"; exit 1; }
"$OUT/run_scenarios" "${EVENTFOLD_SCENARIOS:-$ROOT/../shared/scenarios}"
