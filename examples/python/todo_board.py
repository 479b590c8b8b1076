"""The read side: the todo list's table, read with Python's own `sqlite3`.

The model (examples/todos/todos.model) declares a table, `todo_rows`, and an
inline projection, `todo-board`, that keeps it in step with every Todos
stream in the transaction that stores the events. The table is an ordinary
SQL table in the store's file, so any SQLite code reads it; here the
standard library's `sqlite3` does, read-only. Another process may read it
while the engine runs; this one reads it between two engines, because two
copies of SQLite in one process (the standard library's and the engine's)
do not see each other's locks, and one closing can truncate the other's WAL
index (https://sqlite.org/howtocorrupt.html, "multiple copies of SQLite").
A subscription then delivers the same events to host code, at least once.

Run it from the repository's root after `maturin develop` (or `pip install`
of the wheel):

    python examples/python/todo_board.py            # a store in a temp folder
    python examples/python/todo_board.py todos.db   # or this file, kept
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

from eventfold import Domain, Engine

MODEL = Path(__file__).resolve().parent.parent / "todos" / "todos.model"


def run_commands(engine: Engine) -> int:
    """A few commands on two lists; the position of the last event. Each has
    a command id, so a second run on the same file appends nothing."""
    commands = [
        ("groceries", {"type": "create-new", "data": {"id": "milk", "text": "Buy milk"}}),
        ("groceries", {"type": "create-new", "data": {"id": "bread", "text": "Buy bread"}}),
        ("chores", {"type": "create-new", "data": {"id": "bins", "text": "Take out the bins"}}),
        ("groceries", {"type": "change-completed", "data": {"id": "milk", "completed": True}}),
        ("chores", {"type": "change-text", "data": {"id": "bins", "new_text": "Bins out, Tuesday"}}),
    ]
    last = 0
    for n, (list_id, command) in enumerate(commands):
        last = engine.execute("Todos", list_id, command, command_id=f"board-example-{n}")["position"]
    return last


def read_with_sqlite3(path: Path) -> List[sqlite3.Row]:
    """`todo_rows` as plain SQL: TEXT, INTEGER 0/1 for bools, timestamps as
    RFC 3339 text with six fraction digits (so text order is time order)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT list_id, id, text, completed, done_at FROM todo_rows ORDER BY list_id, id"
        ).fetchall()
    finally:
        db.close()


def main(path: Optional[Path] = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = path or Path(tmp) / "todos.db"
        domain = Domain.from_files(MODEL)
        with Engine(store, domain) as engine:
            last = run_commands(engine)

            # Through the engine: rows in key order, every column.
            print("engine.rows('todo_rows', key='groceries'):")
            for row in engine.rows("todo_rows", key="groceries"):
                print("  ", row)

        # Through sqlite3, from the store's file: the same rows (with the
        # engine closed: see the module's doc).
        print(f"sqlite3 on {store.name}, SELECT ... FROM todo_rows:")
        for r in read_with_sqlite3(store):
            mark = "x" if r["completed"] else " "
            done = f" (done {r['done_at']})" if r["done_at"] else ""
            print(f"   {r['list_id']:<10} [{mark}] {r['text']}{done}")

        with Engine(store, domain) as engine:
            # A subscription: each event once the loop body is done with it
            # (acked when the loop asks for the next one). A second run of
            # this program on the same file starts after the last ack.
            with engine.subscribe("mailer") as mailer:
                for event in mailer:
                    print(f"mailer: {event['position']} {event['stream']} {event['type']}")
                    if event["position"] >= last:
                        break
            for sub in engine.subscriptions():
                print(f"subscription {sub['name']}: checkpoint {sub['checkpoint']}, lag {sub['lag']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
