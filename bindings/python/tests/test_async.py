"""AsyncEngine: the Engine's verbs as coroutines, run off the event loop
(on ``memory:``, the command path on it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, List

import pytest

import eventfold
from eventfold import AsyncEngine, Domain, Engine

pytestmark = pytest.mark.engine

NEW_A = {"type": "create-new", "data": {"id": "a", "text": "Buy milk"}}


def test_every_verb_as_a_coroutine(board_todos: Domain, store: str) -> None:
    async def main() -> None:
        async with await AsyncEngine.open(store, board_todos) as engine:
            assert engine.domain.models() == ["Todos"]
            done = await engine.execute("Todos", "groceries", NEW_A, metadata={"user": "ann"})
            assert (done["stream"], done["version"]) == ("Todos-groceries", 1)
            assert [e["type"] for e in done["events"]] == ["created"]
            many = await engine.execute_many(
                [{"model": "Todos", "id": "chores", "command": {"type": "create-complete", "data": {"id": "b", "text": "Bins"}}}]
            )
            assert many[0]["stream"] == "Todos-chores"
            loaded = await engine.load("Todos", "groceries")
            assert loaded["version"] == 1 and loaded["state"]["todos"]["a"]["text"] == "Buy milk"
            assert await engine.query("Todos", "groceries", "remaining") == 1
            assert [e["type"] for e in await engine.read_stream("Todos-groceries")] == ["created"]
            assert len(await engine.read_all()) == 2
            assert {s["stream"] for s in await engine.streams(model="Todos")} == {"Todos-groceries", "Todos-chores"}
            rows = await engine.rows("todo_rows", "groceries")
            assert [(r["id"], r["text"]) for r in rows] == [("a", "Buy milk")]
            assert [p["name"] for p in await engine.projections()] == ["todo-board"]
            assert await engine.wait_for(many[0]["position"]) is True
            assert (await engine.rebuild("todo-board"))["projection"] == "todo-board"
            sub = await engine.subscribe("mailer")
            assert [s["name"] for s in await engine.subscriptions()] == ["mailer"]
            sub.close()
            assert await engine.parked("mailer") == []
            plan = await engine.migrate_plan(board_todos)
            assert plan["ok"] is True
            await engine.migrate_apply(board_todos)
            assert [v["model"] for v in await engine.model_versions()] == ["Todos"]
            with pytest.raises(eventfold.Rejected) as rejected:
                await engine.execute("Todos", "groceries", NEW_A)
            assert rejected.value.reason == "duplicate"
        assert engine.closed
        with pytest.raises(eventfold.StoreError):
            await engine.load("Todos", "groceries")

    asyncio.run(main())


def test_it_wraps_an_engine_and_gives_it_back(board_todos: Domain) -> None:
    with Engine("memory:", board_todos) as sync:
        engine = AsyncEngine(sync)
        assert engine.sync is sync
        asyncio.run(engine.execute("Todos", "g", NEW_A))
        assert sync.load("Todos", "g")["version"] == 1
    with pytest.raises(TypeError, match="AsyncEngine.open"):
        AsyncEngine("memory:")  # type: ignore[arg-type]


class _Announcing(ThreadPoolExecutor):
    """A thread pool that says when a call starts in its worker."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.started = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "Future[Any]":
        def announced() -> Any:
            self.started.set()
            return fn(*args, **kwargs)

        return super().submit(announced)


# Holds SQLite's write lock on a file from a process of its own until a
# line arrives on stdin. Another process, not this one: two copies of
# SQLite in one process (the standard library's and the engine's) do not
# see each other's locks, and the first to close would checkpoint and
# truncate the WAL index the other has mapped (SIGBUS).
_LOCK_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
db.close()
"""


def test_the_loop_keeps_running_while_a_command_executes(board_todos: Domain, tmp_path: Path) -> None:
    """The command cannot finish while another process holds SQLite's
    write lock, and only a task on the loop releases it: had the command
    held the loop (or the GIL), it would never have been released."""
    path = tmp_path / "locked.db"
    order: List[str] = []

    async def main() -> None:
        pool = _Announcing()
        # A busy timeout far past any load, so the command waits for the
        # release rather than failing busy.
        store = f"sqlite:{path}?busy_timeout=600000"
        async with await AsyncEngine.open(store, board_todos, executor=pool) as engine:
            pool.started.clear()
            holder = subprocess.Popen(
                [sys.executable, "-c", _LOCK_HOLDER, str(path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert holder.stdout is not None and holder.stdin is not None
                assert holder.stdout.readline().strip() == "locked"
                command = asyncio.ensure_future(engine.execute("Todos", "groceries", NEW_A))
                command.add_done_callback(lambda _: order.append("command done"))

                async def other_task() -> None:
                    # waits for the worker to be inside execute, on the loop
                    while not pool.started.is_set():
                        await asyncio.sleep(0)
                    order.append("worker started")
                    await asyncio.sleep(0)
                    assert not command.done()
                    order.append("loop ran while the command was stored")
                    assert holder.stdin is not None
                    holder.stdin.write("release\n")
                    holder.stdin.flush()

                await asyncio.gather(other_task(), command)
                assert command.result()["version"] == 1
            finally:
                if holder.stdin is not None:
                    holder.stdin.close()
                assert holder.wait() == 0
        pool.shutdown()

    asyncio.run(main())
    assert order == ["worker started", "loop ran while the command was stored", "command done"]


def test_on_memory_the_command_path_runs_on_the_loop(board_todos: Domain, tmp_path: Path) -> None:
    """On ``memory:`` nothing waits on I/O, and a hop to a worker and back
    costs more than the command: execute, execute_many, load and query run
    on the loop, and only the other verbs use the executor. On SQLite
    every verb does."""

    async def main() -> None:
        pool = _Announcing()
        async with await AsyncEngine.open("memory:", board_todos, executor=pool) as engine:
            assert engine.sync.does_io is False
            pool.started.clear()
            await engine.execute("Todos", "g", NEW_A)
            await engine.execute_many([{"model": "Todos", "id": "h", "command": NEW_A}])
            assert (await engine.load("Todos", "g"))["version"] == 1
            assert await engine.query("Todos", "g", "remaining") == 1
            with pytest.raises(eventfold.Rejected):
                await engine.execute("Todos", "g", NEW_A)
            assert not pool.started.is_set()
            await engine.streams()
            assert pool.started.is_set()
        store = f"sqlite:{tmp_path / 'io.db'}"
        async with await AsyncEngine.open(store, board_todos, executor=pool) as engine:
            assert engine.sync.does_io is True
            pool.started.clear()
            await engine.execute("Todos", "g", NEW_A)
            assert pool.started.is_set()
        pool.shutdown()

    asyncio.run(main())


def test_async_for_over_a_subscription_while_the_loop_executes(board_todos: Domain) -> None:
    """The subscription's wait holds a worker thread, not the loop: the
    loop executes the command that the wait then delivers."""

    async def main() -> None:
        async with await AsyncEngine.open("memory:", board_todos) as engine:
            sub = await engine.subscribe("watcher", "end")
            seen: List[str] = []

            async def watch() -> None:
                async for event in sub:
                    seen.append(event["type"])
                    sub.close()

            watcher = asyncio.ensure_future(watch())
            await asyncio.sleep(0)
            await engine.execute("Todos", "g", NEW_A)
            await watcher
            assert seen == ["created"]

    asyncio.run(main())
