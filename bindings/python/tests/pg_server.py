"""The PostgreSQL server of the tests: `make test` starts a throwaway
cluster and sets ``EVENTFOLD_TEST_POSTGRES`` to its URL (and
``EVENTFOLD_REQUIRE_POSTGRES``, so that no test passes there by skipping).
Each test works in a schema of its own (``t_py_<pid>_<n>``); the schemas of
this process are dropped when the session starts and when it ends, with
the ``psql`` client that comes with the server (no driver to install)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from itertools import count
from typing import List, Optional

import pytest

_numbers = count()


def server() -> Optional[str]:
    """The server's URL, or ``None`` when there is none and none is
    required; fails the test when one is required but not given."""
    url = os.environ.get("EVENTFOLD_TEST_POSTGRES", "")
    if url:
        return url
    if os.environ.get("EVENTFOLD_REQUIRE_POSTGRES"):
        pytest.fail("EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not", pytrace=False)
    return None


def store_url() -> str:
    """A store URL on a schema of its own, or skips the test without a
    server."""
    base = server()
    if base is None:
        pytest.skip("no PostgreSQL server (set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)")
    return with_schema(base, f"{prefix()}{next(_numbers)}")


def with_schema(base: str, schema: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


def prefix() -> str:
    return f"t_py_{os.getpid()}_"


def _psql() -> Optional[str]:
    found = shutil.which("psql")
    if found:
        return found
    servers = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    return servers[-1] if servers else None


def drop_schemas() -> None:
    """Drops every schema this process made (by its prefix), one
    transaction each."""
    base = os.environ.get("EVENTFOLD_TEST_POSTGRES", "")
    if not base:
        return
    psql = _psql()
    if psql is None:
        print(f"no psql: the schemas {prefix()}* are left on the test server", file=sys.stderr)
        return
    # psql takes libpq's URL, without eventfold's options.
    url = base.split("?")[0]
    like = prefix().replace("_", "\\_") + "%"
    command = [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url]
    found = subprocess.run(
        command + ["-c", f"SELECT nspname FROM pg_namespace WHERE nspname LIKE '{like}'"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        print(f"cannot list the test schemas: {found.stderr.strip()}", file=sys.stderr)
        return
    names: List[str] = found.stdout.split()
    if not names:
        return
    drops: List[str] = []
    for name in names:
        drops += ["-c", f'DROP SCHEMA IF EXISTS "{name}" CASCADE']
    dropped = subprocess.run(command + drops, capture_output=True, text=True)
    if dropped.returncode != 0:
        print(f"cannot drop the test schemas: {dropped.stderr.strip()}", file=sys.stderr)
