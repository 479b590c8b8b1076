"""Subscriptions through the Engine, on both stores: poll, ack and park,
iterated with ``for`` and ``async for`` (acked when the loop asks for the
next event), resumed by a new handle after the checkpoint (at least once,
never a skipped position), one consumer per name, ``from_`` and filters.
Nothing here waits on time: poll timeouts are upper bounds only."""

from __future__ import annotations

import asyncio
import threading
from typing import Iterator, List

import pytest

import eventfold
from eventfold import Domain, Engine, StoredEvent, Subscription
from readside import PATIENCE, create, run_commands

pytestmark = pytest.mark.engine


@pytest.fixture
def engine(store: str, board_todos: Domain) -> Iterator[Engine]:
    with Engine(store, board_todos) as engine:
        yield engine


def positions(events: List[StoredEvent]) -> List[int]:
    return [e["position"] for e in events]


def test_poll_ack_and_a_new_handle_resume_from_the_checkpoint(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    with engine.subscribe("mailer") as sub:
        assert sub.name == "mailer"
        first = sub.poll(3, PATIENCE)
        assert positions(first) == every[:3]
        assert set(first[0]) >= {"id", "stream", "version", "position", "type", "schema", "data", "metadata"}
        sub.ack(first[1]["position"])
        # this handle goes on after what it delivered
        assert positions(sub.poll(2, PATIENCE)) == every[3:5]
    assert sub.closed
    with pytest.raises(eventfold.StoreError):
        sub.ack(every[0])
    info = {s["name"]: s for s in engine.subscriptions()}["mailer"]
    assert info["checkpoint"] == every[1]
    assert info["lag"] == len(every) - 2
    assert info["active"] is False
    # a new handle starts after the durable checkpoint: at least once
    with engine.subscribe("mailer", from_="end") as again:
        assert positions(again.poll(100, PATIENCE)) == every[2:]


def test_for_acks_each_event_when_the_loop_asks_for_the_next(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    seen: List[int] = []
    with engine.subscribe("loop") as sub:
        for event in sub:
            seen.append(event["position"])
            if len(seen) == 4:
                break
        # the fourth was not acked
        assert {s["name"]: s for s in engine.subscriptions()}["loop"]["checkpoint"] == every[2]
        # the next loop over this handle gives it again
        for event in sub:
            seen.append(event["position"])
            if len(seen) == 6:
                break
    assert seen == every[:4] + every[3:5]
    with engine.subscribe("loop") as sub:
        rest = [e["position"] for e in sub.poll(100, PATIENCE)]
    assert rest == every[4:]


def test_an_error_in_the_loop_leaves_its_event_unacked(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    with engine.subscribe("failing") as sub:
        with pytest.raises(RuntimeError):
            for event in sub:
                if event["position"] == every[2]:
                    raise RuntimeError("handler failed")
    with engine.subscribe("failing") as sub:
        assert sub.poll(1, PATIENCE)[0]["position"] == every[2]


def test_close_from_another_thread_ends_the_loop(engine: Engine) -> None:
    sub = engine.subscribe("worker")
    seen: List[int] = []
    got_all = threading.Event()
    wanted = 5
    errors: List[BaseException] = []

    def consume() -> None:
        try:
            for event in sub:
                seen.append(event["position"])
                if len(seen) == wanted:
                    got_all.set()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    consumer = threading.Thread(target=consume)
    consumer.start()
    # written while the consumer waits: each wakes it
    written = [engine.execute("Todos", "l", create(str(i)))["position"] for i in range(wanted)]
    assert got_all.wait(PATIENCE)
    sub.close()
    consumer.join(PATIENCE)
    assert not consumer.is_alive() and errors == []
    assert seen == written
    checkpoint = {s["name"]: s for s in engine.subscriptions()}["worker"]["checkpoint"]
    assert checkpoint in written[-2:]
    # never a skipped position (nothing to wait for when all were acked)
    left = [p for p in written if p > checkpoint]
    with engine.subscribe("worker") as again:
        assert positions(again.poll(100, PATIENCE if left else 0.0)) == left


def test_async_for_does_not_block_the_event_loop(engine: Engine) -> None:
    async def main() -> List[int]:
        sub = engine.subscribe("async")
        # Long waits: a poll that held the event loop would stall this test
        # until the watchdog closes the subscription, and it would fail.
        sub.wait = PATIENCE
        watchdog = threading.Timer(2 * PATIENCE, sub.close)
        watchdog.start()
        seen: List[int] = []
        ticks = 0

        async def consume() -> None:
            async for event in sub:
                seen.append(event["position"])
                if len(seen) == 3:
                    break

        task = asyncio.create_task(consume())
        try:
            # The consumer now waits for events in a worker thread; this
            # coroutine runs meanwhile and writes them.
            for i in range(3):
                await asyncio.sleep(0)
                ticks += 1
                engine.execute("Todos", "async", create(str(i)))
            await asyncio.wait_for(task, PATIENCE)
        finally:
            watchdog.cancel()
            sub.close()
        assert ticks == 3
        return seen

    seen = asyncio.run(main())
    assert seen == positions(engine.read_all())
    # two acked; the third was left unacked by the break
    assert {s["name"]: s for s in engine.subscriptions()}["async"]["checkpoint"] == seen[1]


def test_async_for_ends_when_closed(engine: Engine) -> None:
    engine.execute("Todos", "l", create("a"))

    async def main() -> List[str]:
        sub = engine.subscribe("async-close")
        seen: List[str] = []
        async for event in sub:
            seen.append(event["type"])
            sub.close()
        return seen

    assert asyncio.run(main()) == ["created"]


def test_one_consumer_per_name(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    first = engine.subscribe("single")
    assert positions(first.poll(2, PATIENCE)) == every[:2]
    first.ack(every[1])
    second = engine.subscribe("single")
    # the first holds the name: the second gets nothing (its timeout is an
    # upper bound it reaches)
    assert second.poll(10, 0.05) == []
    assert {s["name"]: s for s in engine.subscriptions()}["single"]["active"] is True
    first.close()
    first.close()  # twice is fine
    assert positions(second.poll(100, PATIENCE)) == every[2:]
    second.close()


def test_park_shows_in_parked(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    with engine.subscribe("picky") as sub:
        events = sub.poll(2, PATIENCE)
        sub.park(events[1]["position"], "cannot send this one")
    assert engine.parked("nobody") == []
    [parked] = engine.parked("picky")
    assert parked["name"] == "picky"
    assert parked["position"] == every[1]
    assert parked["reason"] == "cannot send this one"
    assert parked["event"]["position"] == every[1]
    assert parked["event"]["id"] == events[1]["id"]
    assert isinstance(parked["parked_at"], str)
    info = {s["name"]: s for s in engine.subscriptions()}["picky"]
    assert info["parked"] == 1 and info["checkpoint"] == every[1]


def test_from_end_a_position_and_filters(engine: Engine) -> None:
    run_commands(engine)
    every = engine.read_all()
    with engine.subscribe("late", from_="end") as late:
        assert late.poll(10, 0.05) == []
        new = engine.execute("Todos", "l", create("new"))
        assert positions(late.poll(10, PATIENCE)) == [new["position"]]
    with engine.subscribe("middle", from_=every[3]["position"]) as middle:
        assert positions(middle.poll(100, PATIENCE)) == positions(every[3:]) + [new["position"]]
    with engine.subscribe("deletions", types=["deleted", "done-cleared"]) as deletions:
        got = deletions.poll(100, PATIENCE)
        assert [e["type"] for e in got] == ["done-cleared", "deleted"]
    with engine.subscribe("none", models=["Nope"]) as none:
        assert none.poll(100, 0.05) == []
    info = {s["name"]: s for s in engine.subscriptions()}
    assert info["deletions"]["types"] == ["deleted", "done-cleared"]
    with pytest.raises(eventfold.InvalidCommand) as raised:
        engine.subscribe("bad", from_="middle")  # type: ignore[arg-type]
    assert raised.value.path == "options.from"


def test_poll_after_an_iteration_gives_what_it_fetched(engine: Engine) -> None:
    run_commands(engine)
    every = positions(engine.read_all())
    with engine.subscribe("mixed") as sub:
        for event in sub:
            break
        assert event["position"] == every[0]
        assert positions(sub.poll(100, PATIENCE)) == every[1:]


def test_subscription_is_typed_and_shows_its_state(engine: Engine) -> None:
    sub = engine.subscribe("shown")
    assert isinstance(sub, Subscription)
    assert "shown" in repr(sub) and "open" in repr(sub)
    sub.close()
    assert "closed" in repr(sub)
    assert list(sub) == []


def test_the_read_side_after_close(board_todos: Domain) -> None:
    engine = Engine("memory:", board_todos)
    sub = engine.subscribe("closing")
    engine.close()
    assert sub.closed
    for call in (
        lambda: engine.rows("todo_rows"),
        lambda: engine.projections(),
        lambda: engine.wait_for(1, timeout=0.0),
        lambda: engine.subscribe("x"),
        lambda: engine.subscriptions(),
        lambda: engine.parked("x"),
        lambda: sub.poll(1, 0.0),
    ):
        with pytest.raises(eventfold.StoreError):
            call()
