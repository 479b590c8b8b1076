"""The examples of examples/python run, and the web service answers."""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

import eventfold
from conftest import REPO

sys.path.insert(0, str(REPO / "examples" / "python"))

import quickstart  # noqa: E402
import todo_board  # noqa: E402
import todo_service  # noqa: E402

pytestmark = pytest.mark.engine


def test_quickstart_runs(capsys: pytest.CaptureFixture[str]) -> None:
    quickstart.main()
    out = capsys.readouterr().out
    assert "Todos-groceries is at version 2" in out
    assert "rejected (duplicate): todo a already exists" in out


def test_todo_board_reads_the_table_with_sqlite3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "board.db"
    todo_board.main(store)
    out = capsys.readouterr().out
    assert "sqlite3 on board.db" in out
    assert "groceries  [x] Buy milk (done 20" in out
    assert "chores     [ ] Bins out, Tuesday" in out
    assert "subscription mailer: checkpoint 4, lag 1" in out
    # a second run on the same file appends nothing, and the mailer resumes
    # at the one event it left unacked
    todo_board.main(store)
    again = capsys.readouterr().out
    delivered = [line for line in again.splitlines() if line.startswith("mailer: ")]
    assert delivered == ["mailer: 5 Todos-chores text-changed"]


@pytest.fixture
def base_url(store: str) -> Iterator[str]:
    with eventfold.Engine(store, eventfold.Domain.from_files(todo_service.MODEL)) as engine:
        server = todo_service.serve(engine, port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def call(
    url: str, body: Optional[Any] = None, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_service(base_url: str) -> None:
    lists = f"{base_url}/lists/groceries"
    status, done = call(f"{lists}/commands", {"type": "create-new", "data": {"id": "a", "text": "Milk"}})
    assert status == 201 and done["version"] == 1
    status, error = call(f"{lists}/commands", {"type": "create-new", "data": {"id": "a", "text": "Milk"}})
    assert status == 422 and error["code"] == "rejected" and error["reason"] == "duplicate"
    status, error = call(f"{lists}/commands", b"{not json")
    assert status == 400 and error["code"] == "invalid_json"
    status, error = call(f"{lists}/commands", {"type": "create-new", "data": {"id": 1}})
    assert status == 400 and error["code"] == "invalid_command" and error["path"]
    status, error = call(f"{lists}/commands", {"type": "delete", "data": {"id": "a"}}, {"If-Match": "5"})
    assert status == 409 and error["code"] == "version_conflict" and error["actual"] == 1
    key = {"Idempotency-Key": "k-1"}
    first = call(f"{lists}/commands", {"type": "create-new", "data": {"id": "b", "text": "Bread"}}, key)
    again = call(f"{lists}/commands", {"type": "create-new", "data": {"id": "b", "text": "Bread"}}, key)
    assert first == again and first[0] == 201

    status, loaded = call(lists)
    assert status == 200 and loaded["version"] == 2 and set(loaded["state"]["todos"]) == {"a", "b"}
    assert call(f"{lists}/queries/remaining") == (200, 2)
    assert call(f"{lists}/queries/has-todo?id=b") == (200, True)
    assert call(f"{lists}/queries/nope")[0] == 404
    status, events = call(f"{lists}/events?from_version=2")
    assert status == 200 and [e["version"] for e in events] == [2]
    assert call(f"{base_url}/lists") == (200, [{"stream": "Todos-groceries", "version": 2}])
    assert call(f"{base_url}/nowhere")[0] == 404


def test_the_service_under_concurrent_requests(base_url: str) -> None:
    url = f"{base_url}/lists/busy/commands"
    failures = []

    def client(c: int) -> None:
        for i in range(10):
            status, body = call(url, {"type": "create-new", "data": {"id": f"{c}-{i}", "text": "x"}})
            if status != 201:
                failures.append(body)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    status, loaded = call(f"{base_url}/lists/busy")
    assert loaded["version"] == 80 and len(loaded["state"]["todos"]) == 80
