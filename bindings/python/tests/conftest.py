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
