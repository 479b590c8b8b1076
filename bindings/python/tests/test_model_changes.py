"""Model changes (issue 14) through the Engine, each test on a store of its
own (an SQLite file, and a PostgreSQL schema when a server is given): a
store written by one model version and read by the next through its
upcasts, ``raw`` reads, ``migrate_plan``, ``migrate_apply``,
``model_versions`` and ``on_model_change``, in one process and with writer
processes. Nothing here depends on timing: engines are opened, used and
closed in a fixed order, and the writer processes are driven by lines."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Dict, List

import pytest

import eventfold
from eventfold import Domain, Engine

pytestmark = pytest.mark.engine

#: The first version: a todo is an id and a text.
V1 = """
model Todos {
  state {
    todos: map<string, Todo>
  }

  record Todo {
    id: string
    text: string
  }

  command add(id: string, text: string) {
    reject duplicate "todo ${id} already exists" if id in todos
    emit created(id, text)
  }

  event created(id: string, text: string) {
    set todos[id] = Todo{id, text}
  }
}
"""

#: The second: a todo has a priority, and `created@1` reads as `created@2`.
V2 = """
model Todos {
  enum Priority { low, normal, high }

  state {
    todos: map<string, Todo>
  }

  record Todo {
    id: string
    text: string
    priority: Priority
  }

  command add(id: string, text: string, priority: Priority = Priority.normal) {
    reject duplicate "todo ${id} already exists" if id in todos
    emit created(id, text, priority)
  }

  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
  }

  /// How `created` was stored before priorities.
  upcast created@1(id: string, text: string) {
    emit created@2(id, text, priority: Priority.normal)
  }
}
"""

#: V2 without its upcast: a stored `created@1` is unreadable.
V3 = V2.split("  /// How")[0] + "}\n"


def add(id: str, text: str = "Buy milk", **more: Any) -> Dict[str, Any]:
    return {"type": "add", "data": {"id": id, "text": text, **more}}


@pytest.fixture(scope="module")
def v1() -> Domain:
    return Domain({"todos.model": V1})


@pytest.fixture(scope="module")
def v2() -> Domain:
    return Domain({"todos.model": V2})


@pytest.fixture(scope="module")
def v3() -> Domain:
    return Domain({"todos.model": V3})


@pytest.fixture
def db(durable_store: str) -> str:
    """An SQLite file, and a PostgreSQL schema when a server is given."""
    return durable_store


def created_version(domain: Domain) -> int:
    [model] = domain.describe()["models"]
    [event] = [e for e in model["events"] if e["name"] == "created"]
    return event["version"]


def written_by_v1(db: str, v1: Domain) -> None:
    """Two streams, three `created@1` events, then the engine is closed."""
    with Engine(db, v1) as engine:
        engine.execute("Todos", "home", add("a"))
        engine.execute("Todos", "home", add("b", "Walk the dog"))
        engine.execute("Todos", "work", add("x", "Write the report"))


def test_the_models_are_what_the_tests_say(v1: Domain, v2: Domain, v3: Domain) -> None:
    assert [created_version(d) for d in (v1, v2, v3)] == [1, 2, 2]
    assert [u["name"] for u in v2.describe()["models"][0]["upcasts"]] == ["created"]
    assert v3.describe()["models"][0]["upcasts"] == []


def test_v1_then_v2_through_upcasts(db: str, v1: Domain, v2: Domain) -> None:
    written_by_v1(db, v1)
    with Engine(db, v2) as engine:
        assert engine.load("Todos", "home") == {
            "state": {
                "todos": {
                    "a": {"id": "a", "text": "Buy milk", "priority": "normal"},
                    "b": {"id": "b", "text": "Walk the dog", "priority": "normal"},
                }
            },
            "version": 2,
        }

        upcast = engine.read_stream("Todos-home")
        assert [(e["type"], e["schema"], e["version"]) for e in upcast] == [
            ("created", 2, 1),
            ("created", 2, 2),
        ]
        assert upcast[0]["data"] == {"id": "a", "text": "Buy milk", "priority": "normal"}
        assert [e["schema"] for e in engine.read_all()] == [2, 2, 2]

        done = engine.execute("Todos", "home", add("c", "Call mum", priority="high"))
        [event] = done["events"]
        assert (event["type"], event["schema"], event["data"]["priority"]) == ("created", 2, "high")
        assert engine.load("Todos", "home")["state"]["todos"]["c"]["priority"] == "high"
        assert [e["schema"] for e in engine.read_stream("Todos-home")] == [2, 2, 2]


def test_raw_reads_give_the_rows_as_stored(db: str, v1: Domain, v2: Domain) -> None:
    written_by_v1(db, v1)
    with Engine(db, v2) as engine:
        upcast = engine.read_stream("Todos-home")
        raw = engine.read_stream("Todos-home", raw=True)
        assert [(e["type"], e["schema"]) for e in raw] == [("created", 1), ("created", 1)]
        assert raw[0]["data"] == {"id": "a", "text": "Buy milk"}
        # The same stored rows: only the shape of the data differs.
        for read, stored in zip(upcast, raw):
            assert {k: v for k, v in read.items() if k not in ("schema", "data")} == {
                k: v for k, v in stored.items() if k not in ("schema", "data")
            }
        assert [e["schema"] for e in engine.read_all(raw=True)] == [1, 1, 1]
        assert engine.read_stream("Todos-home", raw=False) == upcast

        engine.execute("Todos", "home", add("c", "Call mum", priority="high"))
        [stored] = engine.read_stream("Todos-home", from_version=3, raw=True)
        assert (stored["schema"], stored["data"]) == (
            2,
            {"id": "c", "text": "Call mum", "priority": "high"},
        )
        assert [e["schema"] for e in engine.read_all(raw=True)] == [1, 1, 1, 2]


def test_raw_is_checked_by_the_core(db: str, v1: Domain) -> None:
    with Engine(db, v1) as engine:
        assert engine.read_stream("Todos-home", raw=True) == []
        assert engine.read_all(raw=False) == []
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.read_stream("Todos-home", raw="yes")  # type: ignore[arg-type]
        assert raised.value.path == "options.raw"
        with pytest.raises(eventfold.InvalidCommand) as raised:
            engine.read_all(raw=1)  # type: ignore[arg-type]
        assert raised.value.path == "options.raw"


def test_on_model_change_is_checked_by_the_core(db: str, v1: Domain) -> None:
    Engine(db, v1, on_model_change="fail").close()
    Engine(db, v1, on_model_change="follow").close()
    with pytest.raises(eventfold.InvalidCommand) as raised:
        Engine(db, v1, on_model_change="retry")  # type: ignore[arg-type]
    assert raised.value.path == "options.on_model_change"


def test_plan_of_v2_is_ok_and_of_v3_blocks(db: str, v1: Domain, v2: Domain, v3: Domain) -> None:
    written_by_v1(db, v1)
    with Engine(db, v1) as engine:
        [before] = engine.model_versions()
        assert (before["model"], before["active"]) == ("Todos", True)
        assert before["activated_at"] is not None and before["registered_at"]

        plan = engine.migrate_plan(v2)
        assert plan["ok"] is True
        [model] = plan["models"]
        assert model["model"] == "Todos"
        assert model["from"] == before["revision"] and model["to"] != before["revision"]
        assert model["replay"] is True
        assert plan["blocking"] == []
        changes = {(c["change"], c["kind"], c["name"]) for c in plan["language"]}
        assert {("added", "event", "created@2"), ("added", "upcast", "created@1")} <= changes
        assert {c["model"] for c in plan["language"]} == {"Todos"}
        replay = plan["replay"]
        assert (replay["streams"], replay["events"]) == (2, 3)
        assert replay["failed"] == []
        # Every todo gains a priority, so both states differ.
        assert replay["different"] == 2
        home = next(d for d in replay["differences"] if d["stream"] == "Todos-home")
        assert {"path": "todos.a.priority", "before": None, "after": "normal"} in home["changes"]
        assert plan["projections"] == []

        # `differences`: how many are shown; all are counted.
        fewer = engine.migrate_plan(v2, differences=1)
        assert len(fewer["replay"]["differences"]) == 1
        assert fewer["replay"]["different"] == 2
        assert engine.migrate_plan(v2, differences=0)["replay"]["differences"] == []
        with pytest.raises(eventfold.InvalidCommand) as bad:
            engine.migrate_plan(v2, differences="all")  # type: ignore[arg-type]
        assert bad.value.path == "options.differences"
        with pytest.raises(TypeError):
            engine.migrate_plan(V2)  # type: ignore[arg-type]

        # v3 cannot read the stored `created@1`.
        blocked = engine.migrate_plan(v3)
        assert blocked["ok"] is False
        [item] = blocked["blocking"]
        assert (item["model"], item["type"], item["schema"], item["events"], item["code"]) == (
            "Todos",
            "created",
            1,
            3,
            "unknown_event",
        )
        assert item["message"]

        with pytest.raises(eventfold.UnknownEvent) as refused:
            engine.migrate_apply(v3)
        assert refused.value.message.startswith("migrate apply refused:")
        assert "migrate plan" in refused.value.message

        # Neither plan nor the refused apply changed anything.
        assert engine.model_versions() == [before]
        assert created_version(engine.domain) == 1
        engine.execute("Todos", "home", add("c"))
        assert engine.read_stream("Todos-home", raw=True)[-1]["schema"] == 1


def test_apply_switches_the_store_and_the_engines_that_follow(db: str, v1: Domain, v2: Domain) -> None:
    written_by_v1(db, v1)
    # Opened before the apply, all with v1.
    writer = Engine(db, v1)
    failing = Engine(db, v1, on_model_change="fail")
    by_default = Engine(db, v1)
    following = Engine(db, v1, on_model_change="follow")
    engines = [writer, failing, by_default, following]
    try:
        [old] = writer.model_versions()

        applied = writer.migrate_apply(v2)
        [model] = applied["models"]
        assert (model["model"], model["from"]) == ("Todos", old["revision"])
        assert model["to"] != old["revision"]
        assert isinstance(applied["pause_millis"], float) and applied["pause_millis"] >= 0
        assert isinstance(applied["millis"], float) and applied["millis"] >= applied["pause_millis"]
        # Nothing wrote during the build: the pause folded nothing.
        assert (applied["events"], applied["caught_up"]) == (3, 0)
        assert applied["position"] == writer.read_all()[-1]["position"]
        assert applied["projections"] == []
        # One snapshot a stream, under the new fingerprint.
        assert applied["snapshots"] == 2

        versions = {v["revision"]: v for v in writer.model_versions()}
        assert set(versions) == {old["revision"], model["to"]}
        assert versions[model["to"]]["active"] is True
        assert versions[model["to"]]["activated_at"] is not None
        assert versions[old["revision"]]["active"] is False

        # The engine that applied runs v2 now.
        assert created_version(writer.domain) == 2
        done = writer.execute("Todos", "home", add("c", "Call mum", priority="high"))
        assert done["events"][0]["schema"] == 2
        stored = len(writer.read_all(raw=True))

        # `fail` (and the default): model_changed, nothing written.
        for stale in (failing, by_default):
            with pytest.raises(eventfold.ModelChanged) as changed:
                stale.execute("Todos", "home", add("d"))
            assert changed.value.code == "model_changed"
            assert changed.value.model == "Todos"
            assert changed.value.message
        assert len(writer.read_all(raw=True)) == stored

        # `follow`: loads v2 from the store and runs the command with it.
        done = following.execute("Todos", "work", add("y", "Plan the week"))
        assert [(e["type"], e["schema"]) for e in done["events"]] == [("created", 2)]
        [written] = writer.read_stream("Todos-work", from_version=2, raw=True)
        assert (written["type"], written["schema"]) == ("created", 2)
        assert written["data"] == {"id": "y", "text": "Plan the week", "priority": "normal"}
        assert created_version(following.domain) == 2
        assert following.load("Todos", "work")["state"]["todos"]["x"]["priority"] == "normal"
        assert len(writer.read_all(raw=True)) == stored + 1
    finally:
        for engine in engines:
            engine.close()

    # Reopening with v1 does not make it active again.
    with Engine(db, v1) as again:
        with pytest.raises(eventfold.ModelChanged):
            again.execute("Todos", "home", add("e"))
        active = [v["revision"] for v in again.model_versions() if v["active"]]
        assert active == [model["to"]]


def test_applying_the_active_model_again_switches_nothing(db: str, v1: Domain, v2: Domain) -> None:
    written_by_v1(db, v1)
    with Engine(db, v1) as engine:
        assert len(engine.migrate_apply(v2)["models"]) == 1
        versions = engine.model_versions()
        again = engine.migrate_apply(v2)
        assert again["models"] == [] and again["caught_up"] == 0
        assert engine.model_versions() == versions
        assert engine.migrate_plan(v2)["models"] == []


def test_the_model_change_calls_of_a_closed_engine_are_store_errors(db: str, v1: Domain, v2: Domain) -> None:
    engine = Engine(db, v1)
    engine.close()
    for call in (
        lambda: engine.migrate_plan(v2),
        lambda: engine.migrate_apply(v2),
        engine.model_versions,
    ):
        with pytest.raises(eventfold.StoreError) as raised:
            call()
        assert raised.value.kind == "closed"


#: A writer process: opens the store with V1 and `on_model_change` from its
#: arguments, says `ready`, then for each `go N` line runs N commands on its
#: own stream and prints one line each (`ok SCHEMA` or the error's code),
#: then `done`. Lines, not time, order it against the test.
WRITER = """
import sys
import eventfold
db, mode, name, model = sys.argv[1:5]
engine = eventfold.Engine(db, eventfold.Domain(model), on_model_change=mode)
print("ready", flush=True)
n = 0
for line in sys.stdin:
    for _ in range(int(line.split()[1])):
        n += 1
        command = {"type": "add", "data": {"id": f"{name}-{n}", "text": "t"}}
        try:
            [event] = engine.execute("Todos", name, command)["events"]
            print("ok", event["schema"], flush=True)
        except eventfold.EventfoldError as e:
            print(e.code, flush=True)
    print("done", flush=True)
engine.close()
"""


def test_writer_processes_around_an_apply(db: str, v1: Domain, v2: Domain) -> None:
    """A `follow` and a `fail` writer in processes of their own write
    while the apply runs, then after it: no event is lost, and none is
    written with the old model after the switch."""
    written_by_v1(db, v1)
    writers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", WRITER, db, mode, mode, V1],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for mode in ("follow", "fail")
    }

    def ask(mode: str, n: int) -> None:
        stdin = writers[mode].stdin
        assert stdin is not None
        stdin.write(f"go {n}\n")
        stdin.flush()

    def answers(mode: str) -> List[str]:
        stdout = writers[mode].stdout
        assert stdout is not None
        out: List[str] = []
        for line in stdout:
            if line.strip() == "done":
                return out
            out.append(line.strip())
        raise AssertionError(f"the {mode} writer ended early: {out}")

    try:
        for proc in writers.values():
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        # The first batches run while (or around when) the apply does.
        for mode in writers:
            ask(mode, 20)
        with Engine(db, v1) as engine:
            applied = engine.migrate_apply(v2)
            during = {mode: answers(mode) for mode in writers}
            for mode in writers:
                ask(mode, 5)
            after = {mode: answers(mode) for mode in writers}
            events = engine.read_all(raw=True)
    finally:
        for proc in writers.values():
            assert proc.stdin is not None
            proc.stdin.close()
        for proc in writers.values():
            assert proc.wait() == 0

    # `follow` ran every command; those after the switch with v2.
    assert all(a.startswith("ok ") for a in during["follow"] + after["follow"])
    assert after["follow"] == ["ok 2"] * 5
    # `fail` wrote with v1 until the switch, then got model_changed for good.
    fail = during["fail"] + after["fail"]
    written = [a for a in fail if a.startswith("ok ")]
    assert set(written) <= {"ok 1"}
    assert fail == written + ["model_changed"] * (len(fail) - len(written))
    assert after["fail"] == ["model_changed"] * 5

    # No event lost: the store holds every command that answered ok.
    by_stream: Dict[str, List[eventfold.StoredEvent]] = {}
    for event in events:
        by_stream.setdefault(event["stream"], []).append(event)
    assert len(by_stream["Todos-follow"]) == 25
    assert len(by_stream.get("Todos-fail", [])) == len(written)
    # None written with the old model after the switch.
    switch = applied["position"]
    assert all(e["schema"] == 2 for e in events if e["position"] > switch)
    assert all(e["schema"] == 1 for e in events if e["position"] <= switch)
