"""What is PostgreSQL's own, beyond the engine tests that run on it through
the `store` fixture: a URL that cannot be opened is a ``StoreError`` of
kind ``unavailable`` whose message never shows the password, and engines
of one schema (each a store of its own, as in two processes) see each
other's commits and are woken by them (``NOTIFY``). Nothing here waits on
time: poll and wait_for timeouts are upper bounds only."""

from __future__ import annotations

import re
import threading
from typing import List

import pytest

import eventfold
import pg_server
from eventfold import Domain, Engine, StoredEvent
from readside import PATIENCE, create, expected, run_commands

pytestmark = pytest.mark.engine

PASSWORD = "s3cret-pw"


def refused(url: str, domain: Domain) -> eventfold.StoreError:
    with pytest.raises(eventfold.StoreError) as raised:
        Engine(url, domain)
    error = raised.value
    assert error.code == "store_error"
    assert error.kind == "unavailable", error.message
    assert PASSWORD not in error.message and PASSWORD not in str(error)
    return error


@pytest.mark.parametrize(
    "query, says",
    [
        ("?schema=Bad-Name", "schema"),
        ("?schema=pg_catalog", "schema"),
        ("?pool_size=0", "pool_size"),
        ("?pool_timeout=soon", "pool_timeout"),
        ("?sslmode=require", "sslmode"),
        ("?colour=blue", "colour"),
    ],
)
def test_a_bad_url_is_unavailable_and_hides_the_password(todos: Domain, query: str, says: str) -> None:
    error = refused(f"postgres://ann:{PASSWORD}@127.0.0.1:5432/db{query}", todos)
    assert says in error.message


def test_a_server_that_is_not_there_is_unavailable(todos: Domain) -> None:
    # Port 1 on this machine: refused at once, no server needed.
    error = refused(f"postgresql://ann:{PASSWORD}@127.0.0.1:1/db?connect_timeout=5", todos)
    assert "ann:***@127.0.0.1:1" in error.message


def test_a_refused_login_is_unavailable_and_hides_the_password(todos: Domain) -> None:
    """A user the server does not know (refused on a server that trusts
    local logins too, where a wrong password would pass)."""
    base = pg_server.server()
    if base is None:
        pytest.skip("no PostgreSQL server (EVENTFOLD_TEST_POSTGRES)")
    wrong, n = re.subn(r"^(postgres(?:ql)?://)([^/@]*@)?", rf"\1eventfold_nobody:{PASSWORD}@", base)
    assert n == 1, "EVENTFOLD_TEST_POSTGRES is a postgres:// URL"
    error = refused(pg_server.with_schema(wrong, "t_py_never_made"), todos)
    assert "eventfold_nobody:***@" in error.message


@pytest.fixture
def url() -> str:
    return pg_server.store_url()


def test_two_engines_on_one_schema_share_the_store(url: str, both_todos: Domain) -> None:
    """A writer that runs no projections and a runner that does: the
    runner's async projection reaches every commit of the writer."""
    with Engine(url, both_todos, run_projections=False) as writer, Engine(url, both_todos) as runner:
        position = run_commands(writer)
        assert runner.read_all() == writer.read_all()
        assert runner.wait_for(position, projection="todo-board-async", timeout=PATIENCE) is True
        assert writer.rows("todo_rows_async") == expected(writer, "todo-board-async", "todo_rows_async")
        assert runner.rows("todo_rows") == writer.rows("todo_rows")


def test_a_commit_of_another_engine_wakes_a_waiting_subscription(url: str, board_todos: Domain) -> None:
    """The subscriber waits in poll before anything is written; the other
    engine's commits wake it (its store hears them by LISTEN)."""
    with Engine(url, board_todos) as reader, Engine(url, board_todos) as writer:
        got: List[StoredEvent] = []
        errors: List[BaseException] = []
        waiting = threading.Event()

        def consume() -> None:
            try:
                with reader.subscribe("woken") as sub:
                    waiting.set()
                    while len(got) < 3:
                        batch = sub.poll(10, PATIENCE)
                        if not batch:
                            raise AssertionError(f"no wake-up within {PATIENCE} s: {got}")
                        got.extend(batch)
                        sub.ack(batch[-1]["position"])
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        consumer = threading.Thread(target=consume)
        consumer.start()
        assert waiting.wait(PATIENCE)
        written = [writer.execute("Todos", "l", create(str(i)))["position"] for i in range(3)]
        consumer.join(2 * PATIENCE)
        assert not consumer.is_alive() and errors == []
        assert [e["position"] for e in got] == written
        [info] = writer.subscriptions()
        assert info["checkpoint"] == written[-1] and info["lag"] == 0
