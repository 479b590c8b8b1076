"""The version 1 verbs on the shared board model: ``project`` folds onto
given tables, stored events of older shapes, and describe's tables and
projections, as a Python user meets them."""

from __future__ import annotations

import copy
import datetime
from typing import Any, Dict, List

import pytest

import eventfold
from conftest import SCENARIOS
from eventfold import Domain

CARD_ROW: Dict[str, Any] = {
    "board_id": "b1",
    "card_id": "a",
    "title": "Spec",
    "lane": "todo",
    "priority": "normal",
    "labels": [],
    "added_at": "2026-01-01T00:00:00Z",
    "added_by": None,
    "moved_at": None,
    "version": 1,
}


@pytest.fixture(scope="module")
def board() -> Domain:
    return Domain.from_files(SCENARIOS / "v1" / "board.model")


def test_project_folds_onto_the_tables_given(board: Domain) -> None:
    tables: Dict[str, List[Dict[str, Any]]] = {
        "boards": [{"board_id": "b1", "title": "Sprint", "cards": 1}],
        "card_rows": [CARD_ROW],
    }
    before = copy.deepcopy(tables)
    moved = {
        "model": "Board",
        "id": "b1",
        "type": "card-moved",
        "data": {"id": "a", "lane": "done"},
        "version": 2,
        "recorded_at": datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.timezone.utc),
    }
    out = board.project("board-screen", [moved], tables)
    assert sorted(out) == ["boards", "card_rows"]
    assert out["card_rows"] == [{**CARD_ROW, "lane": "done", "moved_at": "2026-03-02T09:15:00Z", "version": 2}]
    assert out["boards"] == tables["boards"]
    assert tables == before
    assert board.project("board-screen", [moved]) == {"card_rows": [], "boards": []}
    # JSON text, as every document argument
    assert board.project("board-screen", "[]", '{"boards": [{"board_id": "b1"}]}') == {
        "card_rows": [],
        "boards": [{"board_id": "b1", "title": "", "cards": 0}],
    }


def test_project_upcasts_and_keeps_big_ints(board: Domain) -> None:
    out = board.project("board-screen", [{"model": "Board", "id": "b1", "type": "task-created", "schema": 1, "data": {"id": "t", "text": "Old"}}])
    assert [(r["card_id"], r["title"], r["lane"], r["priority"]) for r in out["card_rows"]] == [("t", "Old", "todo", "normal")]
    feed = board.project("board-activity", [{"model": "Board", "id": "b1", "type": "board-named", "data": {"title": "X"}, "position": 2**60}])
    assert feed["activity"][0]["position"] == 2**60


def test_project_errors(board: Domain) -> None:
    with pytest.raises(eventfold.UnknownProjection):
        board.project("board-screens", [])
    with pytest.raises(eventfold.InvalidEvent) as raised:
        board.project("board-screen", [{"model": "Board", "id": "b1", "type": "card-added", "schema": 1, "data": {"id": "a", "title": 5}}])
    assert raised.value.path == "data.title"
    with pytest.raises(eventfold.UnknownEvent):
        board.project("board-screen", [{"model": "Board", "id": "b1", "type": "card-added", "schema": 3, "data": {}}])


def test_describe_has_the_version_1_keys(board: Domain) -> None:
    d = board.describe()
    m = d["models"][0]
    assert [e["version"] for e in m["events"] if e["name"] == "card-added"] == [2]
    [up] = [u for u in m["upcasts"] if u["name"] == "card-added" and u["version"] == 1]
    assert up["emits"] == [{"name": "card-added", "version": 2}]
    assert [(t["name"], t["projection"]) for t in d["tables"]] == [
        ("card_rows", "board-screen"),
        ("boards", "board-screen"),
        ("activity", "board-activity"),
        ("card_labels", "board-activity"),
    ]
    assert d["tables"][0]["key"] == ["board_id", "card_id"]
    assert [(p["name"], p["mode"]) for p in d["projections"]] == [("board-screen", "inline"), ("board-activity", "async")]
    assert d["projections"][1]["writes"] == ["activity", "card_labels"]
    assert isinstance(d["tzdb"], str) and d["tzdb"][:2] == "20"
