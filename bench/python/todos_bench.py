"""The Todos workload through the eventfold binding and through the
`eventsourcing` library (PyPI), in one run, with ratios.

    bash bench/python/run.sh            # builds a release wheel, then runs this
    python bench/python/todos_bench.py [--quick]

Both sides run the same commands: a mix of 30% create-new, 30%
change-completed, 10% change-text and 30% delete over many todo lists (one
stream, or one aggregate, per list), generated in advance so that none is
rejected. Each command is a full round trip of the application: load the
list, decide, append the events.

- eventfold: `Engine.execute` on "memory:" and on "sqlite:" (WAL,
  synchronous=FULL by default; and =NORMAL).
- eventsourcing: an `Application` with a `TodoList` aggregate, on its
  in-memory (POPO) store and on its SQLite store, with its defaults (the
  repository replays the aggregate's events on every `get`), and with its
  aggregate cache on (`AGGREGATE_CACHE_MAXSIZE`), the closer match to
  eventfold's state cache.

Every figure is the best of a few rounds; ratios are eventsourcing's time
over eventfold's on the same store (above 1: eventfold is faster).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from uuid import UUID

import eventfold
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

MODEL = Path(__file__).resolve().parents[2] / "examples" / "todos" / "todos.model"

Command = Dict[str, Any]
Workload = List[Tuple[int, Command]]


def workload(lists: int, count: int, seed: int = 7) -> Workload:
    """`count` commands over `lists` lists, none of them rejected."""
    rng = random.Random(seed)
    live: List[List[str]] = [[] for _ in range(lists)]
    done: List[Dict[str, bool]] = [{} for _ in range(lists)]
    out: Workload = []
    serial = 0
    for _ in range(count):
        n = rng.randrange(lists)
        r = rng.random()
        if not live[n] or r < 0.3:
            serial += 1
            tid = f"t{serial}"
            live[n].append(tid)
            done[n][tid] = False
            out.append((n, {"type": "create-new", "data": {"id": tid, "text": f"todo number {serial}"}}))
            continue
        tid = live[n][rng.randrange(len(live[n]))]
        if r < 0.6:
            done[n][tid] = not done[n][tid]
            out.append((n, {"type": "change-completed", "data": {"id": tid, "completed": done[n][tid]}}))
        elif r < 0.7:
            out.append((n, {"type": "change-text", "data": {"id": tid, "new_text": f"changed at {rng.random():.6f}"}}))
        else:
            live[n].remove(tid)
            del done[n][tid]
            out.append((n, {"type": "delete", "data": {"id": tid}}))
    return out


# ------------------------------------------------------------------ eventsourcing


class Rejected(Exception):
    pass


class TodoList(Aggregate):
    """The todo list of examples/todos/todos.model, by hand, in the style of
    the eventsourcing docs: commands check, then trigger decorated events."""

    @event("Started")
    def __init__(self) -> None:
        self.todos: Dict[str, Dict[str, Any]] = {}

    def create_new(self, id: str, text: str) -> None:
        if id in self.todos:
            raise Rejected(f"todo {id} already exists")
        if text.strip() == "":
            raise Rejected("text must not be blank")
        self.created(id=id, text=text, completed=False)

    def change_text(self, id: str, new_text: str) -> None:
        if id not in self.todos:
            raise Rejected(f"no todo {id}")
        if new_text.strip() == "":
            raise Rejected("text must not be blank")
        if self.todos[id]["text"] != new_text:
            self.text_changed(id=id, new_text=new_text)

    def change_completed(self, id: str, completed: bool) -> None:
        if id not in self.todos:
            raise Rejected(f"no todo {id}")
        if self.todos[id]["completed"] != completed:
            self.completed_changed(id=id, completed=completed)

    def delete(self, id: str) -> None:
        if id not in self.todos:
            raise Rejected(f"no todo {id}")
        self.deleted(id=id)

    @event("Created")
    def created(self, id: str, text: str, completed: bool) -> None:
        self.todos[id] = {"id": id, "text": text, "completed": completed}

    @event("TextChanged")
    def text_changed(self, id: str, new_text: str) -> None:
        self.todos[id]["text"] = new_text

    @event("CompletedChanged")
    def completed_changed(self, id: str, completed: bool) -> None:
        self.todos[id]["completed"] = completed

    @event("Deleted")
    def deleted(self, id: str) -> None:
        del self.todos[id]


class TodoApp(Application[UUID]):
    def start(self) -> UUID:
        todo_list = TodoList()
        self.save(todo_list)
        return todo_list.id

    def execute(self, list_id: UUID, command: Command) -> None:
        todo_list: TodoList = self.repository.get(list_id)
        data = command["data"]
        kind = command["type"]
        if kind == "create-new":
            todo_list.create_new(data["id"], data["text"])
        elif kind == "change-completed":
            todo_list.change_completed(data["id"], data["completed"])
        elif kind == "change-text":
            todo_list.change_text(data["id"], data["new_text"])
        elif kind == "delete":
            todo_list.delete(data["id"])
        self.save(todo_list)

    def remaining(self, list_id: UUID) -> int:
        todo_list: TodoList = self.repository.get(list_id)
        return sum(1 for t in todo_list.todos.values() if not t["completed"])


# ------------------------------------------------------------------ runners

Runner = Callable[[Workload, int], Tuple[float, Callable[[], List[int]]]]


def run_eventfold(store: Callable[[], str], **options: Any) -> Runner:
    domain = eventfold.Domain.from_files(MODEL)

    def run(work: Workload, lists: int) -> Tuple[float, Callable[[], List[int]]]:
        engine = eventfold.Engine(store(), domain, **options)
        ids = [f"list-{n}" for n in range(lists)]
        start = time.perf_counter()
        for n, command in work:
            engine.execute("Todos", ids[n], command)
        elapsed = time.perf_counter() - start

        def check() -> List[int]:
            out = [engine.query("Todos", i, "remaining") for i in ids]
            engine.close()
            return out

        return elapsed, check

    return run


def run_eventsourcing(env: Callable[[], Dict[str, str]]) -> Runner:
    def run(work: Workload, lists: int) -> Tuple[float, Callable[[], List[int]]]:
        app = TodoApp(env=env())
        ids = [app.start() for _ in range(lists)]
        start = time.perf_counter()
        for n, command in work:
            app.execute(ids[n], command)
        elapsed = time.perf_counter() - start

        def check() -> List[int]:
            out = [app.remaining(i) for i in ids]
            app.close()
            return out

        return elapsed, check

    return run


def best(runner: Runner, work: Workload, lists: int, rounds: int) -> Tuple[float, List[int]]:
    """Best time per command (µs) over `rounds`, and the final counts."""
    times = []
    counts: List[int] = []
    for _ in range(rounds):
        elapsed, check = runner(work, lists)
        times.append(elapsed)
        counts = check()
    return min(times) / len(work) * 1e6, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the commands, one round")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rounds = 1 if args.quick else 3
    tmp = Path(tempfile.mkdtemp(prefix="eventfold-bench-"))
    serial = [0]

    def db(suffix: str = "") -> str:
        serial[0] += 1
        return str(tmp / f"run{serial[0]}.db")

    lists = 100
    memory_work = workload(lists, 20_000 // scale)
    sqlite_work = workload(lists, 2_000 // scale)

    cases: List[Tuple[str, str, Runner, Workload]] = [
        ("memory", "eventfold Engine memory:", run_eventfold(lambda: "memory:"), memory_work),
        ("memory", "eventsourcing POPO", run_eventsourcing(lambda: {"PERSISTENCE_MODULE": "eventsourcing.popo"}), memory_work),
        (
            "memory",
            "eventsourcing POPO + cache",
            run_eventsourcing(lambda: {"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": "1000"}),
            memory_work,
        ),
        ("sqlite", "eventfold Engine sqlite: (FULL)", run_eventfold(lambda: f"sqlite:{db()}"), sqlite_work),
        (
            "sqlite",
            "eventfold Engine sqlite: (NORMAL)",
            run_eventfold(lambda: f"sqlite:{db()}?synchronous=normal"),
            sqlite_work,
        ),
        (
            "sqlite",
            "eventsourcing SQLite",
            run_eventsourcing(lambda: {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db()}),
            sqlite_work,
        ),
        (
            "sqlite",
            "eventsourcing SQLite + cache",
            run_eventsourcing(
                lambda: {
                    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                    "SQLITE_DBNAME": db(),
                    "AGGREGATE_CACHE_MAXSIZE": "1000",
                }
            ),
            sqlite_work,
        ),
    ]

    probe = sqlite3.connect(str(tmp / "probe.db"))
    probe.execute("PRAGMA journal_mode=WAL")
    sync = probe.execute("PRAGMA synchronous").fetchone()[0]
    probe.close()
    print(f"Todos workload: {lists} lists; {len(memory_work)} commands in memory, {len(sqlite_work)} on SQLite")
    print(f"python {sys.version.split()[0]}, eventfold {eventfold.__version__}, best of {rounds}")
    print(f"(Python's sqlite3 in WAL mode runs with synchronous={sync}; 2 is FULL)")
    print()
    results: Dict[str, float] = {}
    reference: Dict[str, List[int]] = {}
    print(f"{'':36} {'µs/command':>11} {'commands/s':>11}")
    for store, label, runner, work in cases:
        per_command, counts = best(runner, work, lists, rounds)
        if store in reference and counts != reference[store]:
            raise SystemExit(f"{label} ended in another state than eventfold: {counts[:5]} vs {reference[store][:5]}")
        reference.setdefault(store, counts)
        results[label] = per_command
        print(f"{label:36} {per_command:11.1f} {1e6 / per_command:11.0f}")

    print()
    print("ratios (eventsourcing time / eventfold time; above 1: eventfold is faster)")
    pairs = [
        ("eventsourcing POPO", "eventfold Engine memory:"),
        ("eventsourcing POPO + cache", "eventfold Engine memory:"),
        ("eventsourcing SQLite", "eventfold Engine sqlite: (FULL)"),
        ("eventsourcing SQLite + cache", "eventfold Engine sqlite: (FULL)"),
        ("eventsourcing SQLite", "eventfold Engine sqlite: (NORMAL)"),
    ]
    for theirs, ours in pairs:
        print(f"  {theirs:30} / {ours:34} = {results[theirs] / results[ours]:6.2f}")


if __name__ == "__main__":
    main()
