"""What the read-side tests share: the todo model with its board projection
(and an async copy of it), a mix of commands, and the oracle (``project``
over the stored events)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List

from conftest import REPO
from eventfold import Domain, Engine, StoredEvent

TODOS_MODEL = REPO / "examples" / "todos" / "todos.model"
#: An upper bound for waits that end as soon as something happens.
PATIENCE = 60.0


def async_copy(text: str) -> str:
    """The todo model, plus a copy of its board projection (and of its
    table) as an async projection: `todo-board-async` writes
    `todo_rows_async`."""
    table = re.search(r"^table todo_rows \{.*?^\}", text, re.S | re.M)
    projection = re.search(r"^projection todo-board inline \{.*?^\}", text, re.S | re.M)
    assert table and projection
    copy = (table.group(0) + "\n\n" + projection.group(0)).replace("todo_rows", "todo_rows_async")
    copy = copy.replace("projection todo-board inline", "projection todo-board-async async")
    return text + "\n" + copy + "\n"


def create(id: str, text: str = "Buy milk") -> Dict[str, Any]:
    return {"type": "create-new", "data": {"id": id, "text": text}}


def project_input(events: List[StoredEvent]) -> List[Dict[str, Any]]:
    """Stored events (``read_all``) as ``project`` takes them."""
    out = []
    for e in events:
        model, _, id = e["stream"].partition("-")
        metadata = {k: v for k, v in e["metadata"].items() if isinstance(v, str) and k != "recorded_at"}
        out.append(
            {
                "model": model,
                "id": id,
                "type": e["type"],
                "schema": e["schema"],
                "data": e["data"],
                "version": e["version"],
                "position": e["position"],
                "recorded_at": e["metadata"]["recorded_at"],
                "metadata": metadata,
                "event_id": e["id"],
            }
        )
    return out


def expected(engine: Engine, projection: str, table: str) -> List[Dict[str, Any]]:
    return engine.domain.project(projection, project_input(engine.read_all()))[table]


def run_commands(engine: Engine) -> int:
    """A mix over two lists that touches every handler of the board;
    returns the position of the last command."""
    engine.execute("Todos", "groceries", create("a", "Milk"))
    engine.execute("Todos", "groceries", create("b", "Bread"))
    engine.execute("Todos", "groceries", {"type": "create-complete", "data": {"id": "c", "text": "Eggs"}})
    engine.execute("Todos", "chores", create("a", "Dishes"))
    engine.execute("Todos", "groceries", {"type": "change-text", "data": {"id": "b", "new_text": "Rye bread"}})
    engine.execute("Todos", "chores", {"type": "change-completed", "data": {"id": "a", "completed": True}})
    engine.execute("Todos", "groceries", {"type": "change-completed", "data": {"id": "a", "completed": True}})
    engine.execute("Todos", "groceries", {"type": "clear-done"})
    engine.execute("Todos", "chores", create("z", "Laundry"))
    done = engine.execute("Todos", "chores", {"type": "delete", "data": {"id": "z"}})
    return done["position"]
