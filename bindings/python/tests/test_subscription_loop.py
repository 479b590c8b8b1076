"""The iteration of ``eventfold.Subscription`` (for and async for) over a
scripted handle in place of the native one, to pin the loop's rules where
a real store cannot be steered: when each ack happens, the events one
stored event upcasts to (one position, several events), polls that split
them, a wait that other tasks run beside, and a cancelled task."""

from __future__ import annotations

import asyncio
import threading
from typing import Callable, List, Tuple

import pytest

from eventfold import StoreError, StoredEvent, Subscription


def event(position: int, n: int = 0) -> StoredEvent:
    return {
        "id": f"e{position}-{n}",
        "stream": "Todos-l",
        "version": position,
        "position": position,
        "type": "created",
        "schema": 1,
        "data": {"n": n},
        "metadata": {},
    }


class ScriptedHandle:
    """The native handle's contract: poll gives events after the last one
    it delivered (at most ``max``, so it may split one position's events),
    waiting for new ones until ``timeout`` or ``close``."""

    def __init__(self, events: List[StoredEvent]) -> None:
        self.name = "scripted"
        self.events = list(events)
        self.delivered = 0
        self.log: List[Tuple[str, int]] = []
        self._closed = False
        self._changed = threading.Condition()

    @property
    def closed(self) -> bool:
        return self._closed

    def append(self, *events: StoredEvent) -> None:
        with self._changed:
            self.events.extend(events)
            self._changed.notify_all()

    def poll(self, max: int, timeout: float) -> List[StoredEvent]:
        with self._changed:
            if self._closed:
                raise StoreError("the subscription is closed", "closed")
            self._changed.wait_for(lambda: self._closed or self.delivered < len(self.events), timeout)
            out = self.events[self.delivered : self.delivered + max]
            self.delivered += len(out)
            for e in out:
                self.log.append(("poll", e["position"]))
            self._changed.notify_all()
            return out

    def ack(self, position: int) -> None:
        with self._changed:
            if self._closed:
                raise StoreError("the subscription is closed", "closed")
            self.log.append(("ack", position))
            self._changed.notify_all()

    def until(self, condition: Callable[[], bool]) -> bool:
        """Waits until `condition` holds after an append, a poll or an ack
        (60 s: an upper bound, for a broken loop)."""
        with self._changed:
            return self._changed.wait_for(condition, 60)

    def park(self, position: int, reason: str) -> None:
        self.log.append(("park", position))

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def acks(self) -> List[int]:
        return [p for kind, p in self.log if kind == "ack"]


def subscription(handle: ScriptedHandle, batch: int = 100) -> Subscription:
    sub = Subscription(handle)
    sub.batch = batch
    return sub


def test_each_event_is_acked_when_the_loop_asks_for_the_next() -> None:
    handle = ScriptedHandle([event(1), event(2), event(3)])
    sub = subscription(handle)
    seen: List[int] = []
    for e in sub:
        # every event before this one, and not this one
        assert handle.acks() == seen
        seen.append(e["position"])
        if len(seen) == 3:
            break
    assert seen == [1, 2, 3]
    # the third was left unacked by the break
    assert handle.acks() == [1, 2]


def test_a_new_loop_redelivers_what_the_last_one_left() -> None:
    handle = ScriptedHandle([event(1), event(2), event(3)])
    sub = subscription(handle)
    with pytest.raises(ValueError):
        for e in sub:
            if e["position"] == 2:
                raise ValueError("handler failed")
    assert handle.acks() == [1]
    seen = []
    for e in sub:
        seen.append(e["position"])
        if e["position"] == 3:
            break
    assert seen == [2, 3]
    assert handle.acks() == [1, 2]


@pytest.mark.parametrize("batch", [1, 2, 100])
def test_one_position_is_acked_after_the_last_of_its_events(batch: int) -> None:
    # one stored event at 2 upcast to three events; a poll may split them
    handle = ScriptedHandle([event(1), event(2, 0), event(2, 1), event(2, 2), event(3)])
    sub = subscription(handle, batch)
    seen: List[Tuple[int, int]] = []
    for e in sub:
        seen.append((e["position"], e["data"]["n"]))
        if e["position"] == 2:
            # nothing of position 2 is acked while its events are handled
            assert 2 not in handle.acks()
        if e["position"] == 3:
            break
    assert seen == [(1, 0), (2, 0), (2, 1), (2, 2), (3, 0)]
    assert handle.acks() == [1, 2]


def test_leaving_inside_a_position_redelivers_all_of_it() -> None:
    handle = ScriptedHandle([event(1), event(2, 0), event(2, 1), event(3)])
    sub = subscription(handle)
    for e in sub:
        if e["data"]["n"] == 1:
            break
    again = []
    for e in sub:
        again.append((e["position"], e["data"]["n"]))
        if e["position"] == 3:
            break
    assert again == [(2, 0), (2, 1), (3, 0)]
    assert handle.acks() == [1, 2]


def test_the_last_event_is_acked_before_the_loop_waits() -> None:
    handle = ScriptedHandle([event(1)])
    sub = subscription(handle)
    sub.wait = 60.0
    seen: List[int] = []
    second = threading.Event()

    def consume() -> None:
        for e in sub:
            seen.append(e["position"])
            if e["position"] == 2:
                second.set()

    t = threading.Thread(target=consume)
    t.start()
    # the loop waits for the next event, the first acked before it waits
    assert handle.until(lambda: handle.acks() == [1])
    handle.append(event(2))
    assert second.wait(60)
    sub.close()
    t.join(60)
    assert not t.is_alive()
    assert seen == [1, 2]
    # 2 was handled, and the loop acked it unless the close came first
    assert handle.acks() in ([1], [1, 2])


def test_close_ends_a_waiting_loop() -> None:
    handle = ScriptedHandle([])
    sub = subscription(handle)
    sub.wait = 60.0
    done = threading.Event()

    def consume() -> None:
        for _ in sub:
            pass
        done.set()

    t = threading.Thread(target=consume)
    t.start()
    sub.close()
    assert done.wait(60)
    t.join(60)
    assert list(sub) == []


def test_explicit_ack_and_park_inside_the_loop() -> None:
    handle = ScriptedHandle([event(1), event(2), event(3)])
    sub = subscription(handle)
    for e in sub:
        if e["position"] == 1:
            sub.ack(1)
        if e["position"] == 2:
            sub.park(2, "cannot")
        if e["position"] == 3:
            break
    # neither is acked twice
    assert handle.log.count(("ack", 1)) == 1
    assert ("ack", 2) not in handle.log and ("park", 2) in handle.log


def test_poll_gives_what_the_loop_fetched_first() -> None:
    handle = ScriptedHandle([event(1), event(2), event(3)])
    sub = subscription(handle)
    for _ in sub:
        break
    assert [e["position"] for e in sub.poll(1, 0.0)] == [2]
    assert [e["position"] for e in sub.poll(10, 0.0)] == [3]
    handle.append(event(4))
    assert [e["position"] for e in sub.poll(10, 0.0)] == [4]


def test_async_for_waits_in_a_thread_and_loses_nothing_when_cancelled() -> None:
    handle = ScriptedHandle([])
    sub = subscription(handle)
    sub.wait = 60.0

    async def main() -> List[int]:
        watchdog = threading.Timer(120, sub.close)
        watchdog.start()
        try:
            # a wait that is cancelled: its poll goes on in the worker
            # thread, and what it brings is kept
            first = asyncio.ensure_future(sub.__anext__())
            await asyncio.sleep(0)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            # the event loop runs while the consumer waits
            seen: List[int] = []
            ticks = 0

            async def consume() -> None:
                async for e in sub:
                    seen.append(e["position"])
                    if len(seen) == 2:
                        break

            task = asyncio.ensure_future(consume())
            for p in (1, 2):
                await asyncio.sleep(0)
                ticks += 1
                handle.append(event(p))
            await asyncio.wait_for(task, 60)
            assert ticks == 2
            return seen
        finally:
            watchdog.cancel()

    assert asyncio.run(main()) == [1, 2]
    assert handle.acks() == [1]
    sub.close()


def test_async_for_ends_when_closed_from_another_thread() -> None:
    handle = ScriptedHandle([event(1)])
    sub = subscription(handle)
    sub.wait = 60.0

    async def main() -> List[int]:
        seen = []
        async for e in sub:
            seen.append(e["position"])
            threading.Thread(target=sub.close).start()
        return seen

    assert asyncio.run(main()) == [1]


def test_context_manager_and_repr() -> None:
    handle = ScriptedHandle([])
    with subscription(handle) as sub:
        assert sub.name == "scripted" and not sub.closed
        assert repr(sub) == "<eventfold.Subscription 'scripted' open>"
    assert sub.closed and "closed" in repr(sub)
    with pytest.raises(StoreError):
        sub.poll(1, 0.0)


def test_an_error_of_the_store_is_not_swallowed() -> None:
    class Failing(ScriptedHandle):
        def ack(self, position: int) -> None:
            raise StoreError("disk full", "io")

    handle = Failing([event(1), event(2)])
    sub = subscription(handle)
    with pytest.raises(StoreError) as raised:
        for _ in sub:
            pass
    assert raised.value.kind == "io"

