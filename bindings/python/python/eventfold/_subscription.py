"""Subscriptions as Python iterates: ``for event in sub`` and
``async for event in sub``.

The native handle (``eventfold._eventfold._Subscription``) polls, acks,
parks and closes, without the GIL. This class adds the host's iteration
around it, with one rule in both forms: an event is acked when the loop
asks for the next one (its body finished with it). Leaving the loop, by
``break`` or an exception, leaves the last event unacked, so it is
delivered again: to the next loop over this subscription, or to the next
subscriber of its name. Delivery is at least once.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from types import TracebackType
from typing import AsyncIterator, Deque, Iterator, List, Literal, Optional, Protocol, Type

from ._errors import StoreError
from ._types import StoredEvent

__all__ = ["Subscription", "SubscriptionHandle"]


class SubscriptionHandle(Protocol):
    """What a Subscription iterates over: the native handle
    (``eventfold._eventfold._Subscription``), whose calls release the GIL."""

    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def poll(self, max: int, timeout: float) -> List[StoredEvent]: ...
    def ack(self, position: int) -> None: ...
    def park(self, position: int, reason: str) -> None: ...
    def close(self) -> None: ...


class Subscription:
    """Stored events, upcast, in position order, delivered at least once
    from a durable checkpoint. One consumer per name at a time: while
    another holds the name, ``poll`` gives ``[]``.

    ``poll``, ``ack`` and ``park`` are the explicit form; iterating
    (``for``, ``async for``) acks for you. Iteration waits for new events
    (never a sleep) and ends when the subscription is closed, from any
    thread or task. ``async for`` runs each wait in a worker thread
    (``asyncio.to_thread``), so the event loop goes on meanwhile.
    """

    #: Events fetched by one poll while iterating.
    batch: int = 100
    #: Seconds one poll of the iteration waits before it looks again. The
    #: loop itself waits forever; ``close`` wakes it at once.
    wait: float = 1.0

    def __init__(self, handle: SubscriptionHandle) -> None:
        self._handle = handle
        # Delivered by the handle, not yet given to the loop.
        self._buffer: Deque[StoredEvent] = deque()
        # The events of one position given to the loop and not acked yet
        # (one stored event may upcast to several; they share it).
        self._pending: List[StoredEvent] = []
        # One wait (ack and poll) at a time; `close` does not take it.
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._handle.name

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def poll(self, max: int = 100, timeout: float = 1.0) -> List[StoredEvent]:
        """Up to ``max`` events after the last one delivered, waiting up to
        ``timeout`` seconds for the first (``[]`` at the timeout, or while
        another consumer holds the name). Events an iteration fetched but
        has not given out yet come first."""
        if self._buffer:
            count = min(max, len(self._buffer))
            return [self._buffer.popleft() for _ in range(count)]
        return self._handle.poll(max, timeout)

    def ack(self, position: int) -> None:
        """Stores the checkpoint durably: everything up to ``position`` is
        done."""
        self._handle.ack(position)
        if self._pending and self._pending[0]["position"] <= position:
            self._pending = []

    def park(self, position: int, reason: str) -> None:
        """Keeps the event at ``position`` in ``parked(name)`` with
        ``reason``, and acks it."""
        self._handle.park(position, reason)
        if self._pending and self._pending[0]["position"] <= position:
            self._pending = []

    def close(self) -> None:
        """Releases the name; a poll waiting in another thread returns at
        once and an iteration ends. Later calls raise ``StoreError``.
        Twice is fine."""
        self._handle.close()

    # ------------------------------------------------------------ iteration

    def __iter__(self) -> Iterator[StoredEvent]:
        self._redeliver()
        return self

    def __next__(self) -> StoredEvent:
        while True:
            self._fill(self.wait)
            if self.closed:
                raise StopIteration
            event = self._take()
            if event is not None:
                return event

    def __aiter__(self) -> AsyncIterator[StoredEvent]:
        self._redeliver()
        return self

    async def __anext__(self) -> StoredEvent:
        while True:
            # The ack and the poll block: a worker thread runs them. If
            # this task is cancelled meanwhile, what the poll brings stays
            # in the buffer for the next call.
            await asyncio.to_thread(self._fill, self.wait)
            if self.closed:
                raise StopAsyncIteration
            event = self._take()
            if event is not None:
                return event

    def _redeliver(self) -> None:
        """A new loop: what the last one left unacked comes again first."""
        if self._pending:
            self._buffer.extendleft(reversed(self._pending))
            self._pending = []

    def _fill(self, timeout: float) -> None:
        """The loop asks for the next event: ack the one it was given,
        unless the next event shares its position (the events one stored
        event upcasts to are acked after the last of them), and wait for
        events when none is buffered. Blocks; never gives an event out."""
        with self._lock:
            if not self._buffer and not self.closed:
                # What is there already, without waiting: is the rest of
                # the pending position among it?
                self._poll(0.0)
            if self._pending and not (
                self._buffer and self._buffer[0]["position"] == self._pending[0]["position"]
            ):
                self._ack_pending()
            if not self._buffer and not self.closed:
                self._poll(timeout)

    def _poll(self, timeout: float) -> None:
        try:
            self._buffer.extend(self._handle.poll(self.batch, timeout))
        except StoreError:
            # Closed from elsewhere meanwhile: the loop ends.
            if not self.closed:
                raise

    def _ack_pending(self) -> None:
        position = self._pending[0]["position"]
        try:
            self._handle.ack(position)
        except StoreError:
            # Closed from elsewhere meanwhile: the loop ends, and the event
            # is delivered again to the next subscriber.
            if not self.closed:
                raise
        self._pending = []

    def _take(self) -> Optional[StoredEvent]:
        if not self._buffer:
            return None
        event = self._buffer.popleft()
        if self._pending and self._pending[0]["position"] != event["position"]:
            self._pending = []
        self._pending.append(event)
        return event

    # ------------------------------------------------------------ with

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Literal[False]:
        self.close()
        return False

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<eventfold.Subscription {self.name!r} {state}>"
