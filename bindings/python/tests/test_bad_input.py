"""Bad input gives a clear EventfoldError (or a TypeError for an argument
of the wrong kind), never a crash or a hang."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

import eventfold
from eventfold import Domain, Engine


def cmd(data: Any) -> Dict[str, Any]:
    return {"type": "create-new", "data": data}


class NotJson:
    pass


@pytest.mark.parametrize(
    "value,fragment",
    [
        ({1, 2}, "set"),
        (NotJson(), "NotJson"),
        (b"bytes", "bytes"),
        (object(), "object"),
        (1 + 2j, "complex"),
        (math.nan, "NaN"),
        (math.inf, "inf"),
        (-math.inf, "inf"),
    ],
)
def test_values_json_cannot_hold(todos: Domain, value: Any, fragment: str) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.propose("Todos", None, cmd({"id": "a", "text": value}))
    assert "data.text" in raised.value.message
    assert fragment in raised.value.message
    assert raised.value.code == "invalid_json"
    assert isinstance(raised.value, ValueError)


def test_non_string_keys(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.propose("Todos", None, cmd({1: "a"}))
    assert "keys are str" in raised.value.message


def test_path_inside_lists(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.replay("Todos", [{"type": "created", "data": {"id": "a"}}, {"type": "x", "data": {"n": {3}}}])
    assert "[1].data.n" in raised.value.message


@pytest.mark.parametrize("n", [2**63, 2**64, -(2**63) - 1, 10**30, -(10**40), 2**999])
def test_ints_past_64_bits_name_their_param(todos: Domain, n: int) -> None:
    with pytest.raises(eventfold.InvalidCommand) as raised:
        todos.propose("Todos", None, cmd({"id": n, "text": "x"}))
    assert raised.value.path == "data.id"


def test_ints_past_64_bits_for_an_int_param(account: Domain) -> None:
    opened = account.replay(
        "Account",
        [{"type": "opened", "data": {"owner": "a", "overdraft_limit": 0, "at": "2026-01-01T00:00:00Z"}}],
    )
    with pytest.raises(eventfold.InvalidCommand) as raised:
        account.propose("Account", opened, {"type": "deposit", "data": {"amount": 2**64}})
    assert raised.value.path == "data.amount"
    assert "64" in raised.value.message
    # A 64-bit int is fine, and so is a bool subclass never taken for an int.
    assert account.propose("Account", opened, {"type": "deposit", "data": {"amount": 2**63 - 1}})
    with pytest.raises(eventfold.InvalidCommand):
        account.propose("Account", opened, {"type": "deposit", "data": {"amount": True}})


@pytest.mark.parametrize("n", [10**400, -(10**5000), 2**1001], ids=["1e400", "-1e5000", "2^1001"])
def test_enormous_ints(todos: Domain, n: int) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.propose("Todos", None, cmd({"id": n, "text": "x"}))
    assert "bits" in raised.value.message


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udc00\ud800"])
def test_lone_surrogates(todos: Domain, text: str) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.propose("Todos", None, cmd({"id": "a", "text": text}))
    assert "surrogate" in raised.value.message
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, cmd({text: "a"}))
    with pytest.raises(eventfold.InvalidJson):
        todos.initial_state(text)
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, '{"type": "' + text + '"}')


def test_escaped_surrogates_in_json_text(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, '{"type": "create-new", "data": {"id": "a", "text": "\\ud800"}}')
    # A proper pair is one character.
    events = todos.propose("Todos", None, cmd({"id": "a", "text": "\U0001F600 \u00e9"}))
    assert events[0]["data"]["text"] == "\U0001F600 \u00e9"


def test_bad_bytes_and_text(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidJson) as raised:
        todos.propose("Todos", None, b'{"type": "\xff"}')
    assert "UTF-8" in raised.value.message
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, "")
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, '{"type": "create-new"} trailing')
    with pytest.raises(eventfold.InvalidJson):
        todos.propose("Todos", None, "\x00")
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", None, cmd({"id": "a\x00", "text": 5}))


def test_nul_in_strings_round_trips(todos: Domain) -> None:
    events = todos.propose("Todos", None, cmd({"id": "a\x00b", "text": "x"}))
    assert events[0]["data"]["id"] == "a\x00b"


def test_deep_and_self_referencing_input(todos: Domain) -> None:
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(eventfold.LimitExceeded) as raised:
        todos.propose("Todos", None, cmd({"id": deep}))
    assert raised.value.limit == "max_input_depth"
    loop: Any = []
    loop.append(loop)
    with pytest.raises(eventfold.LimitExceeded):
        todos.propose("Todos", None, cmd({"id": loop}))
    cyclic: Dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(eventfold.LimitExceeded):
        todos.propose("Todos", None, cmd(cyclic))
    with pytest.raises(eventfold.LimitExceeded):
        todos.propose("Todos", None, "[" * 100_000)


def test_huge_input(todos: Domain) -> None:
    with pytest.raises(eventfold.LimitExceeded) as raised:
        todos.propose("Todos", None, cmd({"id": "a", "text": "x" * (17 * 1024 * 1024)}))
    assert raised.value.limit == "max_input_bytes"


def test_other_mappings_tuples_and_subclasses(todos: Domain) -> None:
    class Text(str):
        pass

    data = OrderedDict([("id", Text("a")), ("text", "b")])
    assert todos.propose("Todos", None, {"type": "create-new", "data": data})
    events = todos.propose(
        "Todos",
        todos.replay("Todos", ({"type": "created", "data": {"id": "a", "text": "b", "completed": True}},)),
        {"type": "clear-done"},
    )
    assert events == [{"type": "done-cleared", "data": {"ids": ["a"]}}]


def test_naive_datetimes_are_refused(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidCommand) as raised:
        todos.propose("Todos", None, cmd({"id": "a", "text": "b"}), now=datetime(2026, 1, 1))
    assert raised.value.path == "now"
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", None, cmd({"id": "a", "text": "b"}), now="yesterday")
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", None, cmd({"id": "a", "text": "b"}), now=12)  # type: ignore[arg-type]


def test_arguments_of_the_wrong_kind_are_type_errors(todos: Domain) -> None:
    with pytest.raises(TypeError):
        todos.initial_state(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        todos.propose(None, None, cmd({}))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Domain(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Engine("memory:", "not a domain")  # type: ignore[arg-type]


@pytest.mark.engine
def test_engine_arguments_of_the_wrong_kind(todos: Domain) -> None:
    with Engine("memory:", todos) as engine:
        # Options are checked by the core, as in every skin.
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.execute("Todos", "l", cmd({}), expected_version=-1)
        assert raised.value.path == "options.expected_version"
        with pytest.raises(TypeError):
            engine.execute("Todos", 5, cmd({}))  # type: ignore[arg-type]


def test_wrong_shapes_are_eventfold_errors(todos: Domain) -> None:
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", None, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", None, 5)  # type: ignore[arg-type]
    with pytest.raises(eventfold.InvalidEvent):
        todos.replay("Todos", {"type": "created"})  # type: ignore[arg-type]
    with pytest.raises(eventfold.InvalidCommand):
        todos.propose("Todos", {"todos": 5}, cmd({"id": "a", "text": "b"}))
    with pytest.raises(eventfold.InvalidEvent):
        todos.accept("Todos", {"todos": 5}, {"type": "deleted", "data": {"id": "a"}})


@pytest.mark.engine
def test_calls_after_close(todos: Domain, store: str) -> None:
    engine = Engine(store, todos)
    engine.close()
    calls: Dict[str, Callable[[], Any]] = {
        "execute": lambda: engine.execute("Todos", "l", cmd({"id": "a", "text": "b"})),
        "load": lambda: engine.load("Todos", "l"),
        "read_all": lambda: engine.read_all(),
    }
    for name, call in calls.items():
        with pytest.raises(eventfold.StoreError, match="closed"):
            call()
    # Bad input is still refused first, or as closed: never a crash.
    with pytest.raises(eventfold.EventfoldError):
        engine.execute("Todos", "l", {"type": "x", "data": {"n": {1}}})


def test_model_errors_carry_every_diagnostic() -> None:
    with pytest.raises(eventfold.ModelError) as raised:
        Domain({"bad.model": "model M {\n  command go() { emit gone() }\n  command stay() { emit here(x) }\n}\n"})
    diagnostics = raised.value.diagnostics
    assert len(diagnostics) >= 2
    assert {d["file"] for d in diagnostics} == {"bad.model"}
    assert diagnostics[0]["line"] == 2
    assert "bad.model:2:" in raised.value.message
    assert raised.value.code == "model_error"


def test_a_missing_model_file_is_an_io_error_naming_it() -> None:
    with pytest.raises(eventfold.IoError) as raised:
        Domain.from_files("/no/such/file.model")
    error = raised.value
    assert error.code == "io_error"
    assert error.path == "/no/such/file.model"
    assert "/no/such/file.model" in error.message
    assert error.to_dict() == {"code": "io_error", "message": error.message, "path": "/no/such/file.model"}
    # also an OSError, so `except OSError` still catches it
    assert isinstance(error, OSError) and error.filename == "/no/such/file.model"
    assert not isinstance(error, FileNotFoundError)


def test_a_folder_given_as_a_model_file_is_an_io_error(tmp_path: Path) -> None:
    with pytest.raises(eventfold.IoError) as raised:
        Domain.from_files(tmp_path)
    assert raised.value.path == str(tmp_path)
