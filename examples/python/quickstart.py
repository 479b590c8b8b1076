"""A first program with eventfold: the todo list of examples/todos.

Run it from the repository's root after `maturin develop` (or `pip install`
of the wheel):

    python examples/python/quickstart.py
"""

from __future__ import annotations

from pathlib import Path

import eventfold
from eventfold import Domain, Engine

MODEL = Path(__file__).resolve().parent.parent / "todos" / "todos.model"


def main() -> None:
    domain = Domain.from_files(MODEL)

    # The pure verbs: no store, just the model.
    state = domain.initial_state("Todos")
    events = domain.propose("Todos", state, {"type": "create-new", "data": {"id": "a", "text": "Buy milk"}})
    state = domain.replay("Todos", events, state)
    print("proposed:", events)
    print("remaining:", domain.query("Todos", state, "remaining"))

    # The engine keeps the events: "memory:" here, "sqlite:todos.db" to keep them.
    with Engine("memory:", domain) as engine:
        engine.execute("Todos", "groceries", {"type": "create-new", "data": {"id": "a", "text": "Buy milk"}})
        done = engine.execute(
            "Todos",
            "groceries",
            {"type": "create-new", "data": {"id": "b", "text": "Buy bread"}},
            metadata={"user": "ann"},
        )
        print(f"{done['stream']} is at version {done['version']}")

        try:
            engine.execute("Todos", "groceries", {"type": "create-new", "data": {"id": "a", "text": "Again"}})
        except eventfold.Rejected as rejected:
            print(f"rejected ({rejected.reason}): {rejected.message}")

        loaded = engine.load("Todos", "groceries")
        for todo in loaded["state"]["todos"].values():
            print(f"- [{'x' if todo['completed'] else ' '}] {todo['text']}")
        for event in engine.read_stream("Todos-groceries"):
            print(event["version"], event["type"], event["data"])


if __name__ == "__main__":
    main()
