"""Shared fixtures: where the shared scenarios are, and engines on each
store (memory, SQLite and, with a server, PostgreSQL: see pg_server)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

import eventfold
import pg_server

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("EVENTFOLD_SHARED", REPO.parent / "shared"))
SCENARIOS = SHARED / "scenarios"


@pytest.fixture(scope="session")
def todos() -> eventfold.Domain:
    return eventfold.Domain.from_files(SCENARIOS / "todos.model")


@pytest.fixture(scope="session")
def account() -> eventfold.Domain:
    return eventfold.Domain.from_files(SCENARIOS / "account.model")


@pytest.fixture(scope="session")
def board_todos() -> eventfold.Domain:
    """The todo model of examples/todos: table `todo_rows`, inline
    projection `todo-board`."""
    from readside import TODOS_MODEL

    return eventfold.Domain.from_files(TODOS_MODEL)


@pytest.fixture(scope="session")
def both_todos() -> eventfold.Domain:
    """The same with an async copy of the projection, `todo-board-async`,
    writing `todo_rows_async`."""
    from readside import TODOS_MODEL, async_copy

    return eventfold.Domain({"todos.model": async_copy(TODOS_MODEL.read_text())})


@pytest.fixture(scope="session", autouse=True)
def postgres_schemas() -> Iterator[None]:
    """The test schemas of this process on the PostgreSQL server: none
    before the session (a leftover of an earlier process with this pid),
    none after it."""
    pg_server.drop_schemas()
    yield
    pg_server.drop_schemas()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each engine test runs on the memory store, on SQLite and on
    PostgreSQL (a schema of its own; skipped without a server)."""
    if request.param == "memory":
        return "memory:"
    if request.param == "postgres":
        return pg_server.store_url()
    return f"sqlite:{tmp_path / 'events.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def durable_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives its engines, for tests that open several:
    an SQLite file, and a PostgreSQL schema."""
    if request.param == "postgres":
        return pg_server.store_url()
    return f"sqlite:{tmp_path / 'durable.db'}"


@pytest.fixture
def engine(store: str, todos: eventfold.Domain) -> Iterator[eventfold.Engine]:
    with eventfold.Engine(store, todos) as engine:
        yield engine
