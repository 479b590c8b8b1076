"""``AsyncEngine``: the Engine for asyncio code.

Every verb that touches the store is a coroutine that runs the Engine's own
call in a worker thread (the loop's default executor, or the one given), so
the event loop goes on meanwhile: the core releases the GIL for the whole
call, so other tasks really run while a command is stored. On ``memory:``,
where nothing waits on I/O (``Engine.does_io``), ``execute``,
``execute_many``, ``load`` and ``query`` run on the loop instead: the hop to
a worker and back costs more than the command. Nothing else is added:
values, errors and ordering are the Engine's.

    async def main() -> None:
        async with await AsyncEngine.open("sqlite:todos.db", domain) as engine:
            done = await engine.execute("Todos", "groceries", command)
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from concurrent.futures import Executor
from types import TracebackType
from typing import Any, Callable, Dict, List, Literal, Mapping, Optional, Sequence, Type, TypeVar, Union

from ._eventfold import Domain, Engine
from ._subscription import Subscription
from ._types import (
    Document,
    Executed,
    JsonText,
    Loaded,
    MigrationApplied,
    MigrationPlan,
    ModelVersion,
    ParkedEvent,
    ProjectionStatus,
    Rebuilt,
    StoredEvent,
    StreamInfo,
    SubscriptionInfo,
    Time,
)

__all__ = ["AsyncEngine"]

T = TypeVar("T")


class AsyncEngine:
    """An :class:`Engine` whose store-touching verbs are coroutines.

    ``AsyncEngine(engine)`` wraps an open Engine (``engine.sync`` gives it
    back; both may be used side by side); ``await AsyncEngine.open(store,
    domain, ...)`` opens one off the loop, with Engine's options.
    ``executor``: where the calls run (default: the loop's default
    executor, a thread pool). An async context manager: ``async with``
    closes the engine at the end. Subscriptions iterate with ``async for``.
    """

    __slots__ = ("_engine", "_executor")

    def __init__(self, engine: Engine, *, executor: Optional[Executor] = None) -> None:
        if not isinstance(engine, Engine):
            raise TypeError(
                "AsyncEngine(engine) takes an eventfold.Engine; "
                "use `await AsyncEngine.open(store, domain)` to open a store"
            )
        self._engine = engine
        self._executor = executor

    @classmethod
    async def open(
        cls,
        store: Union[str, "os.PathLike[str]"],
        domain: Domain,
        *,
        executor: Optional[Executor] = None,
        cache_capacity: Optional[int] = None,
        snapshot_every: Optional[int] = None,
        max_attempts: Optional[int] = None,
        run_projections: Optional[bool] = None,
        on_projection_error: Optional[Literal["stop", "park"]] = None,
        on_model_change: Optional[Literal["fail", "follow"]] = None,
    ) -> "AsyncEngine":
        """Opens the store (as ``Engine(store, domain, ...)``) in a worker
        thread: connecting to PostgreSQL or migrating an SQLite file does
        not hold up the loop."""
        call = functools.partial(
            Engine,
            store,
            domain,
            cache_capacity=cache_capacity,
            snapshot_every=snapshot_every,
            max_attempts=max_attempts,
            run_projections=run_projections,
            on_projection_error=on_projection_error,
            on_model_change=on_model_change,
        )
        engine = await _off_loop(executor, call)
        return cls(engine, executor=executor)

    async def _run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await _off_loop(self._executor, functools.partial(call, *args, **kwargs))

    async def _now(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # The command path: on a store without I/O (``memory:``) it only
        # computes, and a hop to a worker thread and back costs more than
        # the command, so it runs on the loop.
        if self._engine.does_io:
            return await self._run(call, *args, **kwargs)
        return call(*args, **kwargs)

    @property
    def sync(self) -> Engine:
        """The Engine underneath, for blocking calls."""
        return self._engine

    @property
    def domain(self) -> Domain:
        return self._engine.domain

    @property
    def closed(self) -> bool:
        return self._engine.closed

    async def execute(
        self,
        model: str,
        id: str,
        command: Document,
        *,
        expected_version: Optional[int] = None,
        command_id: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
        correlation_id: Optional[str] = None,
        causation_id: Optional[str] = None,
    ) -> Executed:
        """``Engine.execute``, off the loop (on ``memory:``, on it)."""
        return await self._now(
            self._engine.execute,
            model,
            id,
            command,
            expected_version=expected_version,
            command_id=command_id,
            metadata=metadata,
            now=now,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    async def execute_many(self, requests: Union[Sequence[Mapping[str, Any]], JsonText]) -> List[Executed]:
        """``Engine.execute_many``: all are appended, or none."""
        return await self._now(self._engine.execute_many, requests)

    async def load(self, model: str, id: str) -> Loaded:
        return await self._now(self._engine.load, model, id)

    async def query(self, model: str, id: str, name: str, args: Optional[Document] = None) -> Any:
        return await self._now(self._engine.query, model, id, name, args)

    async def read_stream(
        self,
        stream: str,
        *,
        from_version: Optional[int] = None,
        limit: Optional[int] = None,
        raw: Optional[bool] = None,
    ) -> List[StoredEvent]:
        return await self._run(self._engine.read_stream, stream, from_version=from_version, limit=limit, raw=raw)

    async def read_all(
        self,
        *,
        from_position: Optional[int] = None,
        limit: Optional[int] = None,
        raw: Optional[bool] = None,
    ) -> List[StoredEvent]:
        return await self._run(self._engine.read_all, from_position=from_position, limit=limit, raw=raw)

    async def streams(self, *, model: Optional[str] = None) -> List[StreamInfo]:
        return await self._run(self._engine.streams, model=model)

    async def rows(
        self,
        table: str,
        key: Any = None,
        after: Optional[Sequence[Any]] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        return await self._run(self._engine.rows, table, key, after, limit)

    async def projections(self) -> List[ProjectionStatus]:
        return await self._run(self._engine.projections)

    async def wait_for(self, position: int, projection: Optional[str] = None, timeout: float = 30.0) -> bool:
        """``Engine.wait_for``: the wait holds a worker thread, not the loop."""
        return await self._run(self._engine.wait_for, position, projection, timeout)

    async def rebuild(self, projection: str) -> Rebuilt:
        return await self._run(self._engine.rebuild, projection)

    async def subscribe(
        self,
        name: str,
        from_: Union[Literal["start", "end"], int, None] = "start",
        models: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Subscription:
        """``Engine.subscribe``; iterate the result with ``async for``."""
        return await self._run(self._engine.subscribe, name, from_, models, types)

    async def subscriptions(self) -> List[SubscriptionInfo]:
        return await self._run(self._engine.subscriptions)

    async def parked(self, name: str) -> List[ParkedEvent]:
        return await self._run(self._engine.parked, name)

    async def migrate_plan(self, domain: Domain, differences: Optional[int] = None) -> MigrationPlan:
        return await self._run(self._engine.migrate_plan, domain, differences)

    async def migrate_apply(self, domain: Domain) -> MigrationApplied:
        return await self._run(self._engine.migrate_apply, domain)

    async def model_versions(self) -> List[ModelVersion]:
        return await self._run(self._engine.model_versions)

    async def close(self) -> None:
        """Closes the store (``Engine.close``); closing twice is fine."""
        await self._run(self._engine.close)

    async def __aenter__(self) -> "AsyncEngine":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<eventfold.AsyncEngine of {self._engine!r}>"


async def _off_loop(executor: Optional[Executor], call: Callable[[], T]) -> T:
    # As asyncio.to_thread does, with the executor chosen: the caller's
    # context variables go along.
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(executor, context.run, call)
