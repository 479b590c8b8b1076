"""The exception classes: one per code, with their fields, picklable."""

from __future__ import annotations

import pickle

import pytest

import eventfold

CODES = [
    "rejected",
    "invalid_json",
    "invalid_command",
    "unknown_command",
    "invalid_event",
    "unknown_event",
    "unknown_model",
    "unknown_query",
    "model_error",
    "evaluation_error",
    "version_conflict",
    "limit_exceeded",
    "store_error",
    "internal",
]


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
        eventfold.StoreError("closed"),
        eventfold.InvalidJson("bad"),
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
