"""The native module of eventfold (PyO3). Import from ``eventfold``."""

import os
from types import TracebackType
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Type, Union, final

from ._subscription import Subscription
from ._types import (
    Document,
    DomainDescription,
    Event,
    Executed,
    JsonText,
    Loaded,
    MigrationApplied,
    MigrationPlan,
    ModelVersion,
    ParkedEvent,
    ProjectEvent,
    ProjectionStatus,
    Rebuilt,
    Sources,
    State,
    StoredEvent,
    StoredShape,
    StreamInfo,
    SubscriptionInfo,
    Tables,
    Time,
    UpcastEvent,
)

__all__ = ["Domain", "Engine", "_Subscription", "_to_json", "_from_json", "_error_table", "_raise_example", "__version__"]

__version__: str

@final
class Domain:
    """Compiled models: the pure verbs, no store. Immutable and safe to
    share between threads."""

    def __new__(cls, sources: Sources) -> "Domain":
        """Compiles model files: one text, a mapping of file name to text,
        or (name, text) pairs. Raises ModelError with every diagnostic."""
    @staticmethod
    def compile(sources: Sources) -> "Domain":
        """The same as ``Domain(sources)``."""
    @staticmethod
    def from_files(*paths: Union[str, "os.PathLike[str]"]) -> "Domain":
        """Reads and compiles model files; their paths name them in diagnostics."""
    def models(self) -> List[str]:
        """The names of the models, in declaration order."""
    def describe(self) -> DomainDescription:
        """The whole ubiquitous language: models, state, commands, events
        (with versions), upcasts, queries, invariants, tables, projections
        and docs."""
    def describe_markdown(self) -> str:
        """The same as a Markdown glossary."""
    def initial_state(self, model: str) -> State: ...
    def propose(
        self,
        model: str,
        state: Optional[Document],
        command: Document,
        *,
        now: Optional[Time] = None,
    ) -> List[Event]:
        """The events a command gives on a state (None: the initial state).
        Raises Rejected, InvalidCommand, UnknownCommand, ..."""
    def accept(
        self, model: str, state: Optional[Document], event: Union[StoredShape, Document]
    ) -> State:
        """The state after one event (state None: the initial state). An
        event with an older ``schema`` is upcast first."""
    def replay(
        self,
        model: str,
        events: Union[Sequence[Mapping[str, Any]], JsonText],
        state: Optional[Document] = None,
    ) -> State:
        """Events folded over a state (default: the initial state)."""
    def query(
        self,
        model: str,
        state: Optional[Document],
        name: str,
        args: Optional[Document] = None,
    ) -> Any:
        """A query of the model on a state (None: the initial state)."""
    def upcast(self, model: str, event: Union[StoredShape, Document]) -> List[UpcastEvent]:
        """A stored event as the current model reads it: the events it
        becomes (none when dropped, several when split), each at its
        current version. Raises UnknownEvent for a version no declaration
        has, InvalidEvent (``path`` ``schema``) for a schema that is not an
        int >= 1."""
    def project(
        self,
        projection: str,
        events: Union[Sequence[Union[ProjectEvent, Mapping[str, Any]]], JsonText],
        tables: Union[Mapping[str, Sequence[Mapping[str, Any]]], JsonText, None] = None,
    ) -> Tables:
        """The tables of a projection after folding ``events`` in order
        onto ``tables`` (None: empty): ``{table: [rows in key order]}`` for
        every table it writes. Raises UnknownProjection."""

@final
class Engine:
    """A Domain over an event store. Safe to share between threads: the GIL
    is released while it works, and commands on one stream are serialised
    without lost updates. A context manager: ``with Engine(...) as engine``
    closes it at the end."""

    def __new__(
        cls,
        store: Union[str, "os.PathLike[str]"],
        domain: Domain,
        *,
        cache_capacity: Optional[int] = None,
        snapshot_every: Optional[int] = None,
        max_attempts: Optional[int] = None,
        run_projections: Optional[bool] = None,
        on_projection_error: Optional[Literal["stop", "park"]] = None,
        on_model_change: Optional[Literal["fail", "follow"]] = None,
    ) -> "Engine":
        """Opens ``"memory:"``, ``"sqlite:PATH"`` (``?synchronous=normal``
        trades the durability of the last commits for speed) or
        ``"postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME"``
        (docs/postgres.md); a path object (``pathlib.Path``) is an SQLite
        file. ``run_projections=False``: this
        engine runs no async projection (another process does);
        ``on_projection_error``: ``"stop"`` (default) or ``"park"`` what an
        async projection does with an event its handler fails on.
        Opening with a model the store has never seen makes it the store's
        active version of that model; ``on_model_change``: ``"fail"``
        (default) or ``"follow"``, what this engine's next append does once
        another version is active (``migrate_apply`` elsewhere): raise
        ModelChanged, writing nothing, or load the active model from the
        store and run the command with it."""
    @staticmethod
    def open(
        store: Union[str, "os.PathLike[str]"],
        domain: Domain,
        *,
        cache_capacity: Optional[int] = None,
        snapshot_every: Optional[int] = None,
        max_attempts: Optional[int] = None,
        run_projections: Optional[bool] = None,
        on_projection_error: Optional[Literal["stop", "park"]] = None,
        on_model_change: Optional[Literal["fail", "follow"]] = None,
    ) -> "Engine":
        """The same as ``Engine(store, domain, ...)``."""
    @property
    def domain(self) -> Domain: ...
    @property
    def closed(self) -> bool: ...
    @property
    def does_io(self) -> bool: ...
    def execute(
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
        """Runs a command on the stream ``Model-id`` and appends its events
        atomically. A repeated ``command_id`` returns the first result and
        appends nothing; ``expected_version`` fails at once with
        VersionConflict when the stream is elsewhere."""
    def execute_many(
        self, requests: Union[Sequence[Mapping[str, Any]], JsonText]
    ) -> List[Executed]:
        """Many commands (``{"model", "id", "command", "options"?}``, see
        ExecuteRequest) in one transaction: all are appended, or none."""
    def load(self, model: str, id: str) -> Loaded:
        """The state and version of the stream ``Model-id``."""
    def query(
        self, model: str, id: str, name: str, args: Optional[Document] = None
    ) -> Any:
        """A query on the current state of the stream ``Model-id``."""
    def read_stream(
        self,
        stream: str,
        *,
        from_version: Optional[int] = None,
        limit: Optional[int] = None,
        raw: Optional[bool] = None,
    ) -> List[StoredEvent]:
        """The events of one stream, in order, upcast to the current model;
        ``raw=True``: each stored row as written (its ``type``, ``schema``
        and ``data``)."""
    def read_all(
        self,
        *,
        from_position: Optional[int] = None,
        limit: Optional[int] = None,
        raw: Optional[bool] = None,
    ) -> List[StoredEvent]:
        """Every event of the store, by global position, upcast (or, with
        ``raw=True``, as stored)."""
    def streams(self, *, model: Optional[str] = None) -> List[StreamInfo]:
        """The streams (of one model, or all) with their versions."""
    def rows(
        self,
        table: str,
        key: Any = None,
        after: Optional[Sequence[Any]] = None,
        limit: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """The rows of a table in key order, each a dict of every column in
        declared order. ``key``: a prefix of the key values (a list, or one
        value); ``after``: a whole key, the rows after it; ``limit``: at
        most that many. Raises UnknownTable."""
    def projections(self) -> List[ProjectionStatus]:
        """Every projection, in domain order, with its status and lag."""
    def wait_for(
        self, position: int, projection: Optional[str] = None, timeout: float = 30.0
    ) -> bool:
        """Waits until the async projections (or the one named) have folded
        every event up to ``position`` (``Executed["position"]``): True, or
        False after ``timeout`` seconds. Raises the stored error of a
        projection stopped below ``position``, UnknownProjection."""
    def rebuild(self, projection: str) -> Rebuilt:
        """Rebuilds the projection's tables from the first event beside the
        live ones (which answer reads meanwhile), then swaps them."""
    def subscribe(
        self,
        name: str,
        from_: Union[Literal["start", "end"], int, None] = "start",
        models: Optional[Sequence[str]] = None,
        types: Optional[Sequence[str]] = None,
    ) -> Subscription:
        """The subscription ``name``: from its durable checkpoint, or, when
        new, from ``from_`` (``"start"``, ``"end"`` or a position,
        inclusive). ``models`` and ``types`` filter the events, and replace
        the filters stored with the name."""
    def subscriptions(self) -> List[SubscriptionInfo]:
        """Every subscription with its checkpoint and lag."""
    def parked(self, name: str) -> List[ParkedEvent]:
        """The events parked by a subscription or projection, oldest first
        (``[]`` for a name with none)."""
    def migrate_plan(self, domain: Domain, differences: Optional[int] = None) -> MigrationPlan:
        """What switching the store to ``domain`` would do, writing
        nothing: the language's differences, every stored (type, schema)
        it cannot read (``blocking``), a replay of every affected stream
        with it (the streams that fail, and how many come out different,
        with the difference of the first ``differences``, 5 by default),
        and the projections to rebuild. ``ok`` is False when something is
        blocking or failed. Releases the GIL for the whole run."""
    def migrate_apply(self, domain: Domain) -> MigrationApplied:
        """Switches the store to ``domain``: builds its snapshots and
        projection tables while the old model keeps serving, holds writers
        off only for the last catch-up, and makes it active in one
        transaction; from then on this engine runs ``domain``. Refuses a
        plan that is not ``ok`` with the error of its first item
        (UnknownEvent for an unreadable stored event), switching nothing.
        Releases the GIL for the whole run."""
    def model_versions(self) -> List[ModelVersion]:
        """Every model version registered in the store, with the one
        active for each model."""
    def close(self) -> None:
        """Closes the store and its subscriptions; every later call raises
        StoreError. Closing twice is fine."""
    def __enter__(self) -> "Engine": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Literal[False]: ...

@final
class _Subscription:
    """The native handle of a Subscription: poll, ack, park and close,
    without the GIL."""

    @property
    def name(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def poll(self, max: int = 100, timeout: float = 1.0) -> List[StoredEvent]: ...
    def ack(self, position: int) -> None: ...
    def park(self, position: int, reason: str) -> None: ...
    def close(self) -> None: ...

def _to_json(value: Any) -> str: ...
def _from_json(text: str) -> Any: ...
def _error_table() -> str: ...
def _raise_example(code: str) -> None: ...
