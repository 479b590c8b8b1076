"""Shared fixtures: where the shared scenarios are, and engines on each store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

import eventfold

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


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    return f"sqlite:{tmp_path / 'read-side.db'}"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each engine test runs on the memory store and on SQLite."""
    if request.param == "memory":
        return "memory:"
    return f"sqlite:{tmp_path / 'events.db'}"


@pytest.fixture
def engine(store: str, todos: eventfold.Domain) -> Iterator[eventfold.Engine]:
    with eventfold.Engine(store, todos) as engine:
        yield engine
