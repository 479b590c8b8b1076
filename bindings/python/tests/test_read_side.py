"""The read side through the Engine: tables of inline and async
projections, rows, wait_for, rebuild and the engine's options. The oracle
of every table is ``Domain.project`` over the stored events. Nothing here
waits on time: ``wait_for`` timeouts are upper bounds only."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import eventfold
from eventfold import Domain, Engine
from readside import PATIENCE, create, expected, run_commands

pytestmark = pytest.mark.engine


# ------------------------------------------------------------------ tables


def test_inline_rows_equal_project(store: str, board_todos: Domain) -> None:
    with Engine(store, board_todos) as engine:
        position = run_commands(engine)
        assert position == engine.read_all()[-1]["position"]
        rows = engine.rows("todo_rows")
        assert rows == expected(engine, "todo-board", "todo_rows")
        assert [(r["list_id"], r["id"]) for r in rows] == [("chores", "a"), ("groceries", "b")]
        # every column, in declared order
        assert list(rows[0]) == ["list_id", "id", "text", "completed", "done_at"]
        assert rows[0]["completed"] is True and isinstance(rows[0]["done_at"], str)
        assert rows[1]["done_at"] is None


def test_inline_rows_survive_a_reopen(durable_store: str, board_todos: Domain) -> None:
    with Engine(durable_store, board_todos) as engine:
        run_commands(engine)
        before = engine.rows("todo_rows")
    with Engine(durable_store, board_todos) as engine:
        assert engine.rows("todo_rows") == before == expected(engine, "todo-board", "todo_rows")


def test_execute_gives_the_position_of_its_last_event(store: str, board_todos: Domain) -> None:
    with Engine(store, board_todos) as engine:
        first = engine.execute("Todos", "l", create("a"), command_id="k")
        assert first["position"] == first["events"][-1]["position"]
        assert engine.execute("Todos", "l", create("a"), command_id="k")["position"] == first["position"]
        nothing = engine.execute("Todos", "l", {"type": "clear-done"})
        assert nothing["events"] == [] and nothing["position"] == 0


def test_an_async_projection_reaches_project(store: str, both_todos: Domain) -> None:
    with Engine(store, both_todos) as engine:
        position = run_commands(engine)
        assert engine.wait_for(position, timeout=PATIENCE) is True
        rows = engine.rows("todo_rows_async")
        assert rows == expected(engine, "todo-board-async", "todo_rows_async")
        assert rows == engine.rows("todo_rows")
        more = engine.execute("Todos", "chores", create("y", "Bins"))
        assert engine.wait_for(more["position"], projection="todo-board-async", timeout=PATIENCE)
        assert engine.rows("todo_rows_async") == expected(engine, "todo-board-async", "todo_rows_async")

        status = {p["name"]: p for p in engine.projections()}
        assert list(status) == ["todo-board", "todo-board-async"]
        inline, background = status["todo-board"], status["todo-board-async"]
        assert (inline["mode"], background["mode"]) == ("inline", "async")
        assert background["status"] == "live" and background["error"] is None
        assert background["position"] >= more["position"] and background["lag"] == 0
        assert background["parked"] == 0 and background["rebuild"] is None
        # an inline projection is reached at once
        assert engine.wait_for(more["position"], projection="todo-board", timeout=0.0) is True
        with pytest.raises(eventfold.UnknownProjection):
            engine.wait_for(more["position"], projection="nope")


def test_an_engine_that_runs_no_projections(durable_store: str, both_todos: Domain) -> None:
    with Engine(durable_store, both_todos, run_projections=False, on_projection_error="park") as writer:
        position = run_commands(writer)
        # inline ones are written all the same
        assert writer.rows("todo_rows") == expected(writer, "todo-board", "todo_rows")
        # nobody runs the async one: the wait ends at its timeout
        assert writer.wait_for(position, projection="todo-board-async", timeout=0.05) is False
        with Engine(durable_store, both_todos) as runner:
            assert runner.wait_for(position, timeout=PATIENCE) is True
            assert writer.rows("todo_rows_async") == expected(writer, "todo-board-async", "todo_rows_async")


def test_bad_engine_options(board_todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidCommand) as raised:
        Engine("memory:", board_todos, on_projection_error="ignore")  # type: ignore[arg-type]
    assert raised.value.path == "options.on_projection_error"
    with pytest.raises(eventfold.InvalidCommand) as raised:
        Engine("memory:", board_todos, run_projections="yes")  # type: ignore[arg-type]
    assert raised.value.path == "options.run_projections"


def test_rows_key_after_and_limit(store: str, board_todos: Domain) -> None:
    with Engine(store, board_todos) as engine:
        for list_id in ("chores", "groceries"):
            for id in ("a", "b", "c"):
                engine.execute("Todos", list_id, create(id, f"{id} of {list_id}"))
        every = engine.rows("todo_rows")
        assert [(r["list_id"], r["id"]) for r in every] == [
            (l, i) for l in ("chores", "groceries") for i in ("a", "b", "c")
        ]
        groceries = every[3:]
        assert engine.rows("todo_rows", key="groceries") == groceries
        assert engine.rows("todo_rows", key=["groceries"]) == groceries
        assert engine.rows("todo_rows", key=("groceries", "b")) == [groceries[1]]
        assert engine.rows("todo_rows", key=["nowhere"]) == []
        assert engine.rows("todo_rows", after=["chores", "c"]) == groceries
        assert engine.rows("todo_rows", limit=2) == every[:2]
        assert engine.rows("todo_rows", key="groceries", after=["groceries", "a"], limit=1) == [groceries[1]]
        # paging through with after and limit gives every row once
        paged: List[Dict[str, Any]] = []
        after: Optional[List[Any]] = None
        while True:
            page = engine.rows("todo_rows", after=after, limit=4)
            if not page:
                break
            paged += page
            after = [page[-1]["list_id"], page[-1]["id"]]
        assert paged == every


def test_rows_errors(store: str, board_todos: Domain) -> None:
    with Engine(store, board_todos) as engine:
        with pytest.raises(eventfold.UnknownTable) as unknown:
            engine.rows("todo_row")
        assert unknown.value.code == "unknown_table"
        assert "todo_row" in unknown.value.message
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.rows("todo_rows", key=["groceries", 5])
        assert raised.value.path == "options.key[1]"
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.rows("todo_rows", limit=-1)
        assert raised.value.path == "options.limit"
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.wait_for(1, timeout=-1.0)
        assert raised.value.path == "timeout"


def test_rebuild_gives_the_same_rows(store: str, both_todos: Domain) -> None:
    with Engine(store, both_todos) as engine:
        position = run_commands(engine)
        before = engine.rows("todo_rows")
        done = engine.rebuild("todo-board")
        assert done["projection"] == "todo-board"
        assert done["position"] >= position
        assert done["events"] == len(engine.read_all())
        assert done["millis"] >= 0 and done["pause_millis"] >= 0
        assert engine.rows("todo_rows") == before == expected(engine, "todo-board", "todo_rows")
        engine.rebuild("todo-board-async")
        assert engine.wait_for(position, timeout=PATIENCE)
        assert engine.rows("todo_rows_async") == before
        with pytest.raises(eventfold.UnknownProjection):
            engine.rebuild("nope")


def test_the_sql_table_is_read_by_sqlite3(tmp_path: Path, board_todos: Domain) -> None:
    """The table is an ordinary SQL table: the standard library reads it,
    with the SQL types of §13 (bool as 0/1, timestamps as text)."""
    path = tmp_path / "plain.db"
    with Engine(path, board_todos) as engine:
        run_commands(engine)
        rows = engine.rows("todo_rows")
    db = sqlite3.connect(path)
    try:
        got = db.execute("SELECT list_id, id, text, completed, done_at FROM todo_rows ORDER BY list_id, id").fetchall()
        types = {name: kind for _, name, kind, *_ in db.execute("PRAGMA table_info(todo_rows)")}
    finally:
        db.close()
    assert types == {"list_id": "TEXT", "id": "TEXT", "text": "TEXT", "completed": "INTEGER", "done_at": "TEXT"}
    # rows writes a timestamp as §4 says, SQL holds six fraction digits:
    # the same instant, compared to the second here
    def seconds(t: Optional[str]) -> Optional[str]:
        return None if t is None else t[:19]

    assert [(l, i, x, c, seconds(d)) for l, i, x, c, d in got] == [
        (r["list_id"], r["id"], r["text"], int(r["completed"]), seconds(r["done_at"])) for r in rows
    ]


POISON = """
model Todos {
  state { count: int }
  command create-new(id: string, text: string) { emit created(id, text) }
  event created(id: string, text: string) { set count = count + 1 }
}

/// One row per list: a second todo on a list fails its insert.
table first_todos {
  key list_id: string
  id: string
}

projection first-todo async {
  on Todos.created {
    insert first_todos(list_id: stream.id, id)
  }
}
"""


@pytest.mark.parametrize("policy", ["stop", "park"])
def test_a_failing_async_handler_stops_or_parks(store: str, policy: str) -> None:
    domain = Domain({"poison.model": POISON})
    with Engine(store, domain, on_projection_error=policy) as engine:  # type: ignore[arg-type]
        engine.execute("Todos", "l", create("a"))
        bad = engine.execute("Todos", "l", create("b"))["position"]
        last = engine.execute("Todos", "m", create("c"))["position"]
        if policy == "stop":
            with pytest.raises(eventfold.EvaluationError) as raised:
                engine.wait_for(last, timeout=PATIENCE)
            assert "first-todo" in raised.value.message
            [status] = engine.projections()
            assert status["status"] == "stopped"
            assert status["error"] is not None
            assert status["error"]["code"] == "evaluation_error"
            assert status["error"]["position"] == bad
            assert engine.rows("first_todos") == [{"list_id": "l", "id": "a"}]
        else:
            assert engine.wait_for(last, timeout=PATIENCE) is True
            [status] = engine.projections()
            assert status["status"] == "live" and status["parked"] == 1
            assert engine.rows("first_todos") == [{"list_id": "l", "id": "a"}, {"list_id": "m", "id": "c"}]
