"""The Engine on the memory store, on SQLite and on PostgreSQL (the `store`
fixture runs each test on each, PostgreSQL when a server is given)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

import eventfold
from eventfold import Engine

pytestmark = pytest.mark.engine


def create(id: str, text: str = "Buy milk") -> Dict[str, Any]:
    return {"type": "create-new", "data": {"id": id, "text": text}}


def test_execute_appends_and_returns_the_stored_events(engine: Engine) -> None:
    done = engine.execute("Todos", "list-1", create("a"), metadata={"user": "ann"})
    assert done["stream"] == "Todos-list-1"
    assert done["version"] == 1
    [event] = done["events"]
    assert event["type"] == "created"
    assert event["data"] == {"id": "a", "text": "Buy milk", "completed": False}
    assert (event["stream"], event["version"]) == ("Todos-list-1", 1)
    assert isinstance(event["id"], str) and len(event["id"]) == 36
    assert isinstance(event["position"], int)
    assert event["metadata"]["user"] == "ann"
    assert "recorded_at" in event["metadata"]


def test_load_query_and_reads(engine: Engine) -> None:
    engine.execute("Todos", "l", create("a"))
    engine.execute("Todos", "l", create("b", "Walk"))
    engine.execute("Todos", "l", {"type": "change-completed", "data": {"id": "a", "completed": True}})
    engine.execute("Todos", "other", create("x"))

    loaded = engine.load("Todos", "l")
    assert loaded["version"] == 3
    assert set(loaded["state"]["todos"]) == {"a", "b"}
    assert engine.query("Todos", "l", "remaining") == 1
    assert engine.query("Todos", "l", "has-todo", {"id": "b"}) is True
    assert engine.query("Todos", "l", "get-todo", {"id": "zz"}) is None

    events = engine.read_stream("Todos-l")
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["version"] for e in engine.read_stream("Todos-l", from_version=2)] == [2, 3]
    assert len(engine.read_stream("Todos-l", limit=1)) == 1

    every = engine.read_all()
    positions = [e["position"] for e in every]
    assert positions == sorted(positions) and len(set(positions)) == 4
    assert engine.read_all(from_position=positions[2]) == every[2:]
    assert len(engine.read_all(limit=2)) == 2

    streams = {s["stream"]: s["version"] for s in engine.streams()}
    assert streams == {"Todos-l": 3, "Todos-other": 1}
    assert engine.streams(model="Todos") == engine.streams()
    assert engine.streams(model="Nope") == []


def test_a_new_stream_loads_the_initial_state(engine: Engine) -> None:
    assert engine.load("Todos", "empty") == {"state": {"todos": {}}, "version": 0}


def test_rejected_appends_nothing(engine: Engine) -> None:
    engine.execute("Todos", "l", create("a"))
    with pytest.raises(eventfold.Rejected) as raised:
        engine.execute("Todos", "l", create("a"))
    assert raised.value.reason == "duplicate"
    assert raised.value.message == "todo a already exists"
    assert raised.value.code == "rejected"
    assert engine.load("Todos", "l")["version"] == 1


def test_expected_version(engine: Engine) -> None:
    engine.execute("Todos", "l", create("a"), expected_version=0)
    engine.execute("Todos", "l", create("b"), expected_version=1)
    with pytest.raises(eventfold.VersionConflict) as raised:
        engine.execute("Todos", "l", create("c"), expected_version=1)
    assert (raised.value.expected, raised.value.actual) == (1, 2)
    assert raised.value.code == "version_conflict"


def test_a_repeated_command_id_appends_nothing(engine: Engine) -> None:
    first = engine.execute("Todos", "l", create("a"), command_id="cmd-1")
    again = engine.execute("Todos", "l", create("a"), command_id="cmd-1")
    assert again == first
    assert engine.load("Todos", "l")["version"] == 1
    assert first["events"][0]["metadata"]["command_id"] == "cmd-1"


def test_now_correlation_and_causation(store: str, account: eventfold.Domain) -> None:
    with Engine(store, account) as engine:
        at = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
        done = engine.execute(
            "Account",
            "acc-1",
            {"type": "open", "data": {"owner": "ann"}},
            now=at,
            correlation_id="corr",
            causation_id="cause",
        )
        [event] = done["events"]
        assert event["data"]["at"] == "2026-11-28T09:30:00Z"
        assert event["metadata"]["correlation_id"] == "corr"
        assert event["metadata"]["causation_id"] == "cause"
        engine.execute("Account", "acc-1", {"type": "deposit", "data": {"amount": 500}})
        assert engine.query("Account", "acc-1", "available") == 500


def test_execute_many_is_all_or_nothing(engine: Engine) -> None:
    done = engine.execute_many(
        [
            {"model": "Todos", "id": "l", "command": create("a")},
            {"model": "Todos", "id": "m", "command": create("b"), "options": {"command_id": "k"}},
        ]
    )
    assert [d["stream"] for d in done] == ["Todos-l", "Todos-m"]
    with pytest.raises(eventfold.Rejected):
        engine.execute_many(
            [
                {"model": "Todos", "id": "n", "command": create("c")},
                {"model": "Todos", "id": "l", "command": create("a")},
            ]
        )
    assert engine.load("Todos", "n")["version"] == 0


def test_json_text_goes_through_as_is(engine: Engine) -> None:
    done = engine.execute("Todos", "l", '{"type": "create-new", "data": {"id": "a", "text": "x"}}')
    assert done["version"] == 1
    done = engine.execute("Todos", "l", b'{"type": "delete", "data": {"id": "a"}}')
    assert done["version"] == 2


def test_errors_of_the_engine(engine: Engine) -> None:
    with pytest.raises(eventfold.UnknownModel):
        engine.execute("Nope", "l", create("a"))
    with pytest.raises(eventfold.UnknownCommand):
        engine.execute("Todos", "l", {"type": "fly"})
    with pytest.raises(eventfold.InvalidCommand) as raised:
        engine.execute("Todos", "l", {"type": "create-new", "data": {"id": 1, "text": "x"}})
    assert raised.value.path == "data.id"
    with pytest.raises(eventfold.UnknownQuery):
        engine.query("Todos", "l", "nope")
    with pytest.raises(eventfold.InvalidJson):
        engine.execute("Todos", "l", "{not json")


def test_eight_threads_on_one_stream_lose_no_update(engine: Engine) -> None:
    per_thread = 40
    errors: List[BaseException] = []
    start = threading.Barrier(8)

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                engine.execute("Todos", "shared", create(f"{t}-{i}", f"todo {i} of {t}"))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    loaded = engine.load("Todos", "shared")
    assert loaded["version"] == 8 * per_thread
    assert len(loaded["state"]["todos"]) == 8 * per_thread
    versions = [e["version"] for e in engine.read_stream("Todos-shared")]
    assert versions == list(range(1, 8 * per_thread + 1))


def test_threads_with_expected_versions_conflict_cleanly(engine: Engine) -> None:
    """Commands racing with the same expected version: exactly one wins."""
    results: List[str] = []
    start = threading.Barrier(8)

    def work(t: int) -> None:
        start.wait()
        try:
            engine.execute("Todos", "race", create(f"t{t}"), expected_version=0)
            results.append("ok")
        except eventfold.VersionConflict:
            results.append("conflict")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    assert engine.load("Todos", "race")["version"] == 1


def test_the_store_keeps_the_events(durable_store: str, todos: eventfold.Domain) -> None:
    store = durable_store
    with Engine(store, todos) as engine:
        for i in range(5):
            engine.execute("Todos", "l", create(str(i)))
    with Engine.open(store, todos, snapshot_every=2) as engine:
        loaded = engine.load("Todos", "l")
        assert loaded["version"] == 5 and len(loaded["state"]["todos"]) == 5
        engine.execute("Todos", "l", create("5"))
        assert engine.load("Todos", "l")["version"] == 6


def test_a_path_is_an_sqlite_file(tmp_path: Path, todos: eventfold.Domain) -> None:
    with Engine(tmp_path / "by-path.db", todos) as engine:
        engine.execute("Todos", "l", create("a"))
    assert (tmp_path / "by-path.db").exists()
    with Engine(f"sqlite:{tmp_path / 'by-path.db'}", todos) as engine:
        assert engine.load("Todos", "l")["version"] == 1


def test_close_and_the_context_manager(store: str, todos: eventfold.Domain) -> None:
    engine = Engine(store, todos, cache_capacity=10, max_attempts=3)
    assert not engine.closed
    assert engine.domain.models() == ["Todos"]
    assert "open" in repr(engine)
    with engine as same:
        assert same is engine
        engine.execute("Todos", "l", create("a"))
    assert engine.closed
    assert "closed" in repr(engine)
    engine.close()  # twice is fine
    for call in (
        lambda: engine.execute("Todos", "l", create("b")),
        lambda: engine.load("Todos", "l"),
        lambda: engine.query("Todos", "l", "remaining"),
        lambda: engine.read_stream("Todos-l"),
        lambda: engine.read_all(),
        lambda: engine.streams(),
        lambda: engine.execute_many([{"model": "Todos", "id": "l", "command": create("c")}]),
    ):
        with pytest.raises(eventfold.StoreError) as raised:
            call()
        assert "closed" in raised.value.message


def test_an_error_inside_with_still_closes(todos: eventfold.Domain) -> None:
    with pytest.raises(eventfold.Rejected):
        with Engine("memory:", todos) as engine:
            engine.execute("Todos", "l", create("a"))
            engine.execute("Todos", "l", create("a"))
    assert engine.closed


def test_a_bad_store_is_a_store_error(todos: eventfold.Domain, tmp_path: Path) -> None:
    with pytest.raises(eventfold.StoreError):
        Engine("carrier-pigeon:", todos)
    with pytest.raises(eventfold.StoreError):
        Engine(f"sqlite:{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}", todos)
