"""examples/python-fastapi: a real uvicorn on a free port, driven over
HTTP. Readiness is the line the app prints once its engine is open (a
bound wait only guards against a hung start)."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from conftest import REPO

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

EXAMPLE = REPO / "examples" / "python-fastapi"
CLI = Path(os.environ.get("EVENTFOLD_CLI", REPO / "target" / "debug" / "eventfold"))
START_GUARD = 120.0  # seconds; only a hung start reaches it


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "app.py"), "--store", f"sqlite:{tmp_path / 'todos.db'}", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=START_GUARD):
                pytest.fail("the app printed nothing")
        line = proc.stdout.readline()
        if not line.startswith("listening on "):
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"the app did not start: {line!r}\n{err}")
        yield f"http://127.0.0.1:{int(line.split()[-1])}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_todo_app_over_http(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as http:
        created = http.post("/lists/groceries/todos", json={"id": "a", "text": "Buy milk"})
        assert created.status_code == 201, created.text
        assert created.json() == {"stream": "Todos-groceries", "version": 1, "events": ["created"]}
        assert http.post("/lists/groceries/todos", json={"id": "b", "text": "Buy bread"}).status_code == 201

        again = http.post("/lists/groceries/todos", json={"id": "a", "text": "Again"})
        assert again.status_code == 409
        assert again.json() == {"code": "rejected", "reason": "duplicate", "message": "todo a already exists"}
        blank = http.post("/lists/groceries/todos", json={"id": "c", "text": "  "})
        assert (blank.status_code, blank.json()["reason"]) == (409, "blank")
        missing = http.post("/lists/groceries/todos/zz/complete")
        assert (missing.status_code, missing.json()["reason"]) == (409, "missing")
        shapeless = http.post("/lists/groceries/todos", json={"id": "c"})
        assert shapeless.status_code == 422

        done = http.post("/lists/groceries/todos/b/complete")
        assert done.status_code == 200 and done.json()["events"] == ["completed-changed"]
        assert http.post("/lists/groceries/todos/a/text", json={"text": "Buy oat milk"}).status_code == 200

        rows = http.get("/lists/groceries/rows")
        assert rows.status_code == 200
        got = rows.json()
        assert [(r["list_id"], r["id"], r["text"], r["completed"]) for r in got] == [
            ("groceries", "a", "Buy oat milk", False),
            ("groceries", "b", "Buy bread", True),
        ]
        assert got[0]["done_at"] is None and got[1]["done_at"].startswith("20")
        assert http.get("/lists/chores/rows").json() == []

        todo = http.get("/lists/groceries/todos/b")
        assert todo.json() == {"id": "b", "text": "Buy bread", "completed": True}
        assert http.get("/lists/groceries/todos/zz").status_code == 404
        assert http.delete("/lists/groceries/todos/a").json()["events"] == ["deleted"]
        assert [r["id"] for r in http.get("/lists/groceries/rows").json()] == ["b"]


def test_its_generated_types_are_up_to_date() -> None:
    if not CLI.exists():
        pytest.fail(f"no CLI at {CLI}: build it with `cargo build -p eventfold-cli` (test.sh does)")
    done = subprocess.run(
        [str(CLI), "generate", "--lang", "python", str(REPO / "examples" / "todos" / "todos.model"),
         "-o", str(EXAMPLE), "--package", "todo_types", "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (
        "examples/python-fastapi/todo_types is stale: run "
        "`eventfold generate --lang python examples/todos/todos.model -o examples/python-fastapi --package todo_types`\n"
        + done.stdout + done.stderr
    )
