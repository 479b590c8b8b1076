"""The version 1 verbs of the Domain: ``upcast`` and ``project``, and the
``schema`` of events given to ``accept`` and ``replay``; arguments
converted at the edge, errors mapped as every other verb's."""

from __future__ import annotations

import datetime
from typing import Any, Dict, List

import pytest

import eventfold
from eventfold import Domain

CREATED: Dict[str, Any] = {"id": "a", "text": "Buy milk", "completed": False}


def test_upcast_of_a_current_event(todos: Domain) -> None:
    current = [{"type": "created", "schema": 1, "data": CREATED}]
    assert todos.upcast("Todos", {"type": "created", "data": CREATED}) == current
    assert todos.upcast("Todos", {"type": "created", "schema": 1, "data": CREATED}) == current
    # JSON text passes through unparsed, as for every document argument.
    assert todos.upcast("Todos", '{"type": "created", "schema": 1, "data": {"id": "a", "text": "Buy milk", "completed": false}}') == current
    assert todos.upcast("Todos", b'{"type": "created", "data": {"id": "a", "text": "Buy milk", "completed": false}}') == current


def test_upcast_keeps_big_ints_exact(account: Domain) -> None:
    [event] = account.upcast("Account", {"type": "deposited", "data": {"amount": 2**63 - 1}})
    assert event["data"]["amount"] == 2**63 - 1
    assert isinstance(event["data"]["amount"], int)


@pytest.mark.parametrize("schema", [0, -1, 1.5, 1.0, "1", None, True])
def test_a_schema_that_is_no_version_is_invalid_event_at_schema(todos: Domain, schema: Any) -> None:
    with pytest.raises(eventfold.InvalidEvent) as raised:
        todos.upcast("Todos", {"type": "created", "schema": schema, "data": CREATED})
    assert raised.value.code == "invalid_event"
    assert raised.value.path == "schema"


def test_upcast_errors(todos: Domain) -> None:
    # an int >= 1 that no declaration has, however large
    for schema in (2, 2**40):
        with pytest.raises(eventfold.UnknownEvent):
            todos.upcast("Todos", {"type": "created", "schema": schema, "data": CREATED})
    with pytest.raises(eventfold.UnknownEvent):
        todos.upcast("Todos", {"type": "teleported", "data": {}})
    with pytest.raises(eventfold.InvalidEvent) as raised:
        todos.upcast("Todos", {"type": "created", "data": {"id": "a"}})
    assert raised.value.path == "data.text"
    with pytest.raises(eventfold.UnknownModel):
        todos.upcast("Nope", {"type": "created", "data": CREATED})
    with pytest.raises(eventfold.InvalidJson) as bad:
        todos.upcast("Todos", {"type": "created", "data": {"id": {1, 2}}})
    assert "data.id" in bad.value.message
    with pytest.raises(TypeError):
        todos.upcast(1, {"type": "created", "data": CREATED})  # type: ignore[arg-type]


def test_accept_and_replay_pass_the_schema_through(todos: Domain) -> None:
    state = todos.accept("Todos", None, {"type": "created", "schema": 1, "data": CREATED})
    assert state == todos.replay("Todos", [{"type": "created", "schema": 1, "data": CREATED}])
    assert state["todos"]["a"] == CREATED
    with pytest.raises(eventfold.UnknownEvent):
        todos.accept("Todos", None, {"type": "created", "schema": 2, "data": CREATED})
    with pytest.raises(eventfold.InvalidEvent) as raised:
        todos.replay("Todos", [{"type": "created", "schema": "one", "data": CREATED}])
    assert raised.value.path == "schema"
    assert "event 0" in raised.value.message


@pytest.mark.parametrize("tables", [None, {}, {"todo_rows": []}, "{}"])
def test_project_of_an_unknown_projection(todos: Domain, tables: Any) -> None:
    events: List[Dict[str, Any]] = [
        {
            "model": "Todos",
            "id": "home",
            "type": "created",
            "data": CREATED,
            "recorded_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        }
    ]
    with pytest.raises(eventfold.UnknownProjection) as raised:
        todos.project("no-such-projection", events, tables)
    assert raised.value.code == "unknown_projection"
    assert "no-such-projection" in raised.value.message


def test_project_arguments_are_converted_at_the_edge(todos: Domain) -> None:
    with pytest.raises(TypeError):
        todos.project(None, [])  # type: ignore[arg-type]
    me: List[Any] = []
    me.append(me)
    with pytest.raises(eventfold.LimitExceeded):
        todos.project("p", me)
    with pytest.raises(eventfold.InvalidJson):
        todos.project("p", [], {"t": [{"n": float("nan")}]})
    assert eventfold.UnknownTable("m").code == "unknown_table"
