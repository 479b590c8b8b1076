"""The exception classes: one per code, with their fields, picklable."""

from __future__ import annotations

import json
import pickle
from typing import Any, Dict

import pytest

import eventfold
from eventfold import _eventfold

TABLE = json.loads(_eventfold._error_table())
CODES = [spec["code"] for spec in TABLE]


def test_one_class_per_code() -> None:
    assert sorted(eventfold.BY_CODE) == sorted(CODES)
    for code, cls in eventfold.BY_CODE.items():
        assert cls.code == code
        assert issubclass(cls, eventfold.EventfoldError)
    assert eventfold.InternalError is eventfold.Internal


@pytest.mark.parametrize(
    "error",
    [
        eventfold.Rejected("no todo a", "missing"),
        eventfold.Rejected("balance too low", None),
        eventfold.InvalidCommand("is required", "data.text"),
        eventfold.InvalidEvent("expected a bool", "data.completed"),
        eventfold.ModelError("bad", [{"file": "a.model", "line": 1, "column": 2, "message": "m"}]),
        eventfold.VersionConflict("conflict", 3, 4),
        eventfold.LimitExceeded("too deep", "max_input_depth"),
        eventfold.StoreError("closed", "closed"),
        eventfold.ModelChanged("newer", "Todos"),
        eventfold.InvalidJson("bad"),
        eventfold.IoError("cannot read model file a.model: no such file", "a.model"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_pickle_with_their_fields(error: eventfold.EventfoldError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert again.to_dict() == error.to_dict()
    assert str(again) == error.message


def test_fields_as_raised(todos: eventfold.Domain) -> None:
    with pytest.raises(eventfold.Rejected) as rejected:
        todos.propose("Todos", None, {"type": "delete", "data": {"id": "a"}})
    assert rejected.value.to_dict() == {"code": "rejected", "message": "no todo a", "reason": "missing"}
    with pytest.raises(eventfold.InvalidCommand) as invalid:
        todos.propose("Todos", None, {"type": "create-new", "data": {"id": "a"}})
    assert invalid.value.to_dict()["path"] == "data.text"
    with pytest.raises(eventfold.UnknownModel) as unknown:
        todos.initial_state("Nope")
    assert unknown.value.code == "unknown_model" and "Todos" in unknown.value.message
    with pytest.raises(eventfold.UnknownQuery):
        todos.query("Todos", None, "nope")
    with pytest.raises(eventfold.UnknownEvent):
        todos.accept("Todos", None, {"type": "teleported", "data": {}})


def test_the_table_is_the_cores() -> None:
    assert len(TABLE) == 18
    assert [s for s in TABLE if s["code"] == "io_error"][0]["fields"] == ["path"]
    store = next(s for s in TABLE if s["code"] == "store_error")
    assert store["fields"] == ["kind"]
    assert store["kinds"] == ["busy", "unavailable", "corrupt", "closed", "io"]


@pytest.mark.parametrize("spec", TABLE, ids=lambda s: s["code"])
def test_every_field_of_the_table_is_an_attribute(spec: Dict[str, Any]) -> None:
    with pytest.raises(eventfold.EventfoldError) as raised:
        _eventfold._raise_example(spec["code"])
    error = raised.value
    assert type(error) is eventfold.BY_CODE[spec["code"]]
    assert error.code == spec["code"]
    assert error.message and "{" not in error.message
    for field in spec["fields"]:
        assert getattr(error, field) is not None, field
        assert error.to_dict()[field] == getattr(error, field)
    again = pickle.loads(pickle.dumps(error))
    assert again.to_dict() == error.to_dict()


@pytest.mark.engine
def test_a_closed_engine_is_a_store_error_of_kind_closed(todos: eventfold.Domain) -> None:
    engine = eventfold.Engine("memory:", todos)
    engine.close()
    with pytest.raises(eventfold.StoreError) as raised:
        engine.load("Todos", "a")
    assert raised.value.kind == "closed"


def test_bad_options_are_the_cores_invalid_command(todos: eventfold.Domain) -> None:
    with pytest.raises(eventfold.InvalidCommand) as raised:
        eventfold.Engine("memory:", todos, cache_capacity=-1)
    assert raised.value.path == "options.cache_capacity"
    with eventfold.Engine("memory:", todos) as engine:
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.read_stream("Todos-a", from_version="x")  # type: ignore[arg-type]
        assert raised.value.path == "options.from_version"
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.execute("Todos", "a", {"type": "create-new", "data": {"id": "a", "text": "b"}}, command_id=5)  # type: ignore[arg-type]
        assert raised.value.path == "options.command_id"
