#!/usr/bin/env bash
# Builds the Python package (maturin, debug) into a venv and runs its tests:
# pytest (the shared scenarios, the engine on memory, SQLite, and PostgreSQL
# when EVENTFOLD_TEST_POSTGRES names a server: tests/pg_server.py, threads,
# bad input, AsyncEngine, `eventfold generate --lang python` checked by
# mypy, the FastAPI example over a real uvicorn) and `mypy --strict` on the
# examples. Installs what is missing (pinned).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv python3-pip
command -v cargo >/dev/null 2>&1 || apt_install cargo rustc

export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
fi
# mypy is pinned: the generated code's test asserts on its messages.
pins=("maturin>=1.9.4,<2" "pytest>=7" "mypy==1.20.2" "fastapi==0.115.6" "uvicorn==0.32.1" "httpx==0.28.1")
if ! "$venv/bin/python" -c "
import importlib.metadata as m, sys
import maturin, pytest
want = {'mypy': '1.20.2', 'fastapi': '0.115.6', 'uvicorn': '0.32.1', 'httpx': '0.28.1'}
sys.exit(any(m.version(p) != v for p, v in want.items()))" >/dev/null 2>&1 \
   || [ ! -x "$venv/bin/maturin" ]; then
  "$venv/bin/python" -m pip install -q "${pins[@]}"
fi

export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
# A debug build: fast to make, and the tests time nothing.
maturin develop --quiet
# `eventfold generate` for tests/test_generate.py and the FastAPI example.
(cd "$root" && cargo build -q -p eventfold-cli)
export EVENTFOLD_CLI="$root/target/debug/eventfold"

python -m pytest -q -p no:cacheprovider
# The stubs must match the native module, and type the examples (and the
# tests) under --strict.
python -m mypy.stubtest eventfold
# (tests/typed is checked by test_generate.py, beside the code it generates.)
MYPYPATH="$root/examples/python" python -m mypy --strict --no-incremental --exclude 'tests/typed/' tests "$root/examples/python"
MYPYPATH="$root/examples/python-fastapi" python -m mypy --strict --no-incremental "$root/examples/python-fastapi"
