"""The todo app of examples/python/quickstart.py, written with the types
`eventfold generate --lang python examples/todos/todos.model --package
todo_types` writes: the same output, line for line.

    python typed_todos.py MODEL_FILE STORE   (todo_types on the path)
"""

from __future__ import annotations

import asyncio
import sys

import eventfold
from eventfold import AsyncEngine, Domain, Engine
from todo_types import (
    AsyncTodosModel,
    AsyncTables,
    Tables,
    TodoRow,
    TodosDomain,
    TodosModel,
    TodosReason,
    TodosState,
    todos_reason,
)


def main(model_file: str, store: str) -> None:
    domain = Domain.from_files(model_file)

    # The pure verbs: no store, just the model.
    pure = TodosDomain(domain)
    state: TodosState = pure.initial_state()
    events = pure.propose(state, {"type": "create-new", "data": {"id": "a", "text": "Buy milk"}})
    state = pure.replay(events, state)
    print("proposed:", events)
    print("remaining:", pure.remaining(state))

    with Engine(store, domain) as engine:
        todos = TodosModel(engine)
        groceries = todos.stream("groceries")
        groceries.create_new(id="a", text="Buy milk")
        done = groceries.create_new(id="b", text="Buy bread", options={"metadata": {"user": "ann"}})
        print(f"{done['stream']} is at version {done['version']}")

        try:
            groceries.create_new(id="a", text="Again")
        except eventfold.Rejected as rejected:
            reason: TodosReason | None = todos_reason(rejected)
            print(f"rejected ({reason}): {rejected.message}")

        loaded = groceries.load()
        for todo in loaded["state"]["todos"].values():
            print(f"- [{'x' if todo['completed'] else ' '}] {todo['text']}")
        for event in groceries.events():
            print(event["version"], event["type"], event["data"])

        # The typed extras: a query, the table, an event's own fields.
        groceries.change_completed(id="b", completed=True)
        found = groceries.get_todo(id="b")
        assert found is not None and found["completed"] is True
        rows: list[TodoRow] = Tables(engine).todo_rows.rows("groceries")
        assert [(r["id"], r["completed"], r["done_at"] is not None) for r in rows] == [
            ("a", False, False),
            ("b", True, True),
        ]
        last = groceries.events()[-1]
        if last["type"] == "completed-changed":
            assert last["data"]["completed"] is True  # narrowed by `type`

    asyncio.run(async_main(store, domain))


async def async_main(store: str, domain: Domain) -> None:
    async with await AsyncEngine.open(store, domain) as engine:
        chores = AsyncTodosModel(engine).stream("chores")
        await chores.create_new(id="c", text="Bins out")
        assert await chores.remaining() == 1
        row = await AsyncTables(engine).todo_rows.get(("chores", "c"))
        assert row is not None and row["text"] == "Bins out"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
