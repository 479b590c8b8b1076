"""Every case of ../shared/scenarios and ../shared/scenarios/v1, one
pytest case each, through the public API of the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import eventfold
from conftest import SCENARIOS


def same(a: Any, b: Any) -> bool:
    """JSON equality of the scenarios: keys in any order, numbers by value,
    but a bool is never a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def collect() -> List[Any]:
    params = []
    files = sorted(SCENARIOS.glob("*.scenarios.json")) + sorted(SCENARIOS.glob("v1/*.scenarios.json"))
    assert files, f"no scenario files in {SCENARIOS}"
    for path in files:
        spec = json.loads(path.read_text(encoding="utf-8"))
        name = path.relative_to(SCENARIOS).as_posix()
        for case in spec["cases"]:
            params.append(pytest.param(path, spec, case, id=f"{name}::{case['name']}"))
    return params


_domains: Dict[Tuple[str, ...], eventfold.Domain] = {}


def domain_of(path: Path, spec: Dict[str, Any]) -> eventfold.Domain:
    """The files are relative to the scenario file's directory."""
    key = (str(path.parent), *spec["files"])
    if key not in _domains:
        _domains[key] = eventfold.Domain.from_files(*(path.parent / f for f in spec["files"]))
    return _domains[key]


def expect_error(case: Dict[str, Any], err: eventfold.EventfoldError) -> None:
    want = case.get("then", {}).get("error")
    assert want is not None, f"unexpected error {err.to_dict()}"
    assert err.code == want["code"], f"expected error {want}, got {err.to_dict()}"
    if "path" in want:
        assert getattr(err, "path", None) == want["path"], f"expected error {want}, got {err.to_dict()}"


@pytest.mark.parametrize("path,spec,case", collect())
def test_scenario(path: Path, spec: Dict[str, Any], case: Dict[str, Any]) -> None:
    if "model" not in spec:
        check_case(path, case)
    else:
        model_case(domain_of(path, spec), spec["model"], case)


def check_case(path: Path, case: Dict[str, Any]) -> None:
    if "source" in case:
        sources: Dict[str, str] = {"source.model": case["source"]}
    else:
        sources = {f: (path.parent / f).read_text(encoding="utf-8") for f in case["files"]}
    if case.get("ok"):
        eventfold.Domain(sources)
        return
    with pytest.raises(eventfold.ModelError) as raised:
        eventfold.Domain(sources)
    got = raised.value.diagnostics
    assert got, "a model_error lists its diagnostics"
    used = [False] * len(got)
    for want in case.get("diagnostics", []):
        for i, d in enumerate(got):
            if used[i]:
                continue
            if "line" in want and want["line"] != d["line"]:
                continue
            if "column" in want and want["column"] != d["column"]:
                continue
            if "contains" in want and want["contains"].lower() not in d["message"].lower():
                continue
            used[i] = True
            break
        else:
            pytest.fail(f"no diagnostic like {want} in {got}")


def model_case(domain: eventfold.Domain, model: str, case: Dict[str, Any]) -> None:
    then = case.get("then", {})
    given = case.get("given", [])
    if "projection" in case:
        # `given` are whole project events ({model, id, type, data, ...}).
        try:
            rows = domain.project(case["projection"], given, case.get("tables"))
        except eventfold.EventfoldError as err:
            expect_error(case, err)
            return
        assert "error" not in then, f"expected error {then['error']}, got rows {rows}"
        assert same(rows, case["rows"]), f"expected rows {case['rows']}, got {rows}"
        return
    if "upcast" in case:
        try:
            current = domain.upcast(model, case["upcast"])
        except eventfold.EventfoldError as err:
            expect_error(case, err)
            return
        assert "error" not in then, f"expected error {then['error']}, got events {current}"
        assert same(current, case["events"]), f"expected events {case['events']}, got {current}"
        return
    has_command = "when" in case or "when_raw" in case
    if not has_command and "query" not in case:
        # Replay alone: the verb `replay`.
        try:
            state = domain.replay(model, given)
        except eventfold.EventfoldError as err:
            expect_error(case, err)
            return
        assert "error" not in then, f"expected error {then['error']}, got state {state}"
        if "state" in case:
            assert same(state, case["state"]), f"expected state {case['state']}, got {state}"
        return

    # Given events accepted one by one: the verb `accept`.
    state = domain.initial_state(model)
    try:
        for event in given:
            state = domain.accept(model, state, event)
    except eventfold.EventfoldError as err:
        expect_error(case, err)
        return

    if has_command:
        # `when_raw` is text that may not be JSON: passed as text, unparsed.
        command = case["when_raw"] if "when_raw" in case else case["when"]
        try:
            events = domain.propose(model, state, command, now=case.get("now"))
        except eventfold.Rejected as rejected:
            assert "rejected" in then, f"unexpected rejection {rejected.to_dict()}"
            assert rejected.reason == then["rejected"]["reason"]
            assert rejected.message == then["rejected"]["message"]
            return
        except eventfold.EventfoldError as err:
            expect_error(case, err)
            return
        assert "events" in then, f"expected {then}, got events {events}"
        assert same(events, then["events"]), f"expected events {then['events']}, got {events}"
        after = domain.replay(model, events, state)
        if "state" in case:
            assert same(after, case["state"]), f"expected state {case['state']}, got {after}"
        return

    query = case["query"]
    try:
        result = domain.query(model, state, query["name"], query.get("args"))
    except eventfold.EventfoldError as err:
        expect_error(case, err)
        return
    assert "result" in case, f"expected {then}, got result {result}"
    assert same(result, case["result"]), f"expected result {case['result']}, got {result}"
