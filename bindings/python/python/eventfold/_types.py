"""The shapes of what eventfold takes and gives, for type checkers.

Everything crosses as plain dicts and lists; these TypedDicts only describe
them (at run time they are ordinary dicts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, TypedDict, Union

__all__ = [
    "JsonText",
    "Sources",
    "Time",
    "Document",
    "State",
    "Event",
    "Command",
    "StoredEvent",
    "Executed",
    "Loaded",
    "StreamInfo",
    "Diagnostic",
    "ExecuteOptions",
    "ExecuteRequest",
    "StoredShape",
    "UpcastEvent",
    "ProjectEvent",
    "Row",
    "Tables",
    "FieldDescription",
    "EventDescription",
    "UpcastDescription",
    "ModelDescription",
    "ColumnDescription",
    "TableDescription",
    "ProjectionDescription",
    "DomainDescription",
    "ProjectionError",
    "RebuildProgress",
    "ProjectionStatus",
    "Rebuilt",
    "SubscriptionInfo",
    "ParkedEvent",
    "PlannedModel",
    "LanguageChange",
    "BlockingItem",
    "ReplayFailure",
    "StateChange",
    "StreamDifference",
    "ReplayReport",
    "ProjectionChange",
    "TableChange",
    "MigrationPlan",
    "MigratedModel",
    "MigrationApplied",
    "ModelVersion",
]

#: JSON text given as is: the binding passes it to the core unparsed.
JsonText = Union[str, bytes, bytearray]

#: A command, an event, a state or query args: a mapping, or JSON text.
Document = Union[Mapping[str, Any], JsonText]

#: Model files: one text, a mapping of file name to text, or (name, text) pairs.
Sources = Union[str, Mapping[str, str], Iterable[Tuple[str, str]]]

#: A point in time: an aware datetime, or RFC 3339 text.
Time = Union[str, datetime]

#: A state of a model: its fields by name.
State = Dict[str, Any]


class Event(TypedDict):
    """An event as ``propose`` gives it and ``accept`` takes it."""

    type: str
    data: Dict[str, Any]


class _StoredShapeBase(TypedDict):
    type: str


class StoredShape(_StoredShapeBase, total=False):
    """An event as it was stored, as ``upcast`` (and ``accept``/``replay``)
    take it: ``schema`` is the version of its shape (left out: the newest
    declared for ``type``); ``data`` may be left out when no field is
    required."""

    schema: int
    data: Mapping[str, Any]


class UpcastEvent(TypedDict):
    """An event at the model's current version, as ``upcast`` gives it."""

    type: str
    schema: int
    data: Dict[str, Any]


class _ProjectEventBase(TypedDict):
    model: str
    id: str
    type: str


class ProjectEvent(_ProjectEventBase, total=False):
    """An event of the stream ``model-id`` as ``project`` takes it. Left
    out: ``schema`` the current version, ``version`` the count of that
    stream's events in the list so far, ``position`` its place in the list
    (from 1), ``recorded_at`` ``2026-01-01T00:00:00Z``, ``metadata`` ``{}``,
    ``event_id`` ``""``."""

    data: Mapping[str, Any]
    schema: int
    version: int
    position: int
    recorded_at: Union[str, datetime]
    metadata: Mapping[str, Any]
    event_id: str


#: A table's row: its columns by name.
Row = Dict[str, Any]

#: Tables by name, each a list of rows (``project`` gives them in key order).
Tables = Dict[str, List[Row]]


class _CommandBase(TypedDict):
    type: str


class Command(_CommandBase, total=False):
    """A command: ``type``, its ``data``, the caller's ``id`` for idempotent
    retries and ``metadata`` (strings the model reads as ``meta``)."""

    data: Mapping[str, Any]
    id: str
    metadata: Mapping[str, str]


class StoredEvent(TypedDict):
    """An event as the store keeps it."""

    id: str
    """A UUIDv7."""
    stream: str
    """``Model-id``."""
    version: int
    """1-based and contiguous in its stream."""
    position: int
    """Global, unique and increasing (the events one stored event upcasts
    to share it)."""
    type: str
    schema: int
    """The version of the event's shape: the current one as read (upcast),
    the one it was written at with ``raw=True``."""
    data: Dict[str, Any]
    metadata: Dict[str, Any]
    """``recorded_at``, ``command_id``, ``correlation_id``,
    ``causation_id`` and the caller's keys."""


class Executed(TypedDict):
    """What ``Engine.execute`` gives: the stream, its version after the
    command, and the events it appended."""

    stream: str
    version: int
    position: int
    """The global position of the command's last event (0 when it appended
    nothing): what to give ``Engine.wait_for``."""
    events: List[StoredEvent]


class Loaded(TypedDict):
    state: Dict[str, Any]
    version: int


class StreamInfo(TypedDict):
    stream: str
    version: int


class Diagnostic(TypedDict):
    """A problem in a model file; ``line`` and ``column`` are 1-based,
    columns counted in code points."""

    file: str
    line: int
    column: int
    message: str


class ExecuteOptions(TypedDict, total=False):
    """The options of one command of ``Engine.execute_many``."""

    expected_version: int
    command_id: str
    metadata: Mapping[str, str]
    now: str
    correlation_id: str
    causation_id: str


class _ExecuteRequestBase(TypedDict):
    model: str
    id: str
    command: Mapping[str, Any]


class ExecuteRequest(_ExecuteRequestBase, total=False):
    """One command of ``Engine.execute_many``."""

    options: ExecuteOptions


# ------------------------------------------------------------ describe()


class _FieldDescriptionBase(TypedDict):
    name: str
    type: str
    """As the model spells it: ``string``, ``list<Todo>``, ``int?``, ..."""
    required: bool
    doc: Optional[str]


class FieldDescription(_FieldDescriptionBase, total=False):
    """One field, param or state field; ``default`` only where it has one."""

    default: Any


class EventDescription(TypedDict):
    name: str
    doc: Optional[str]
    version: int
    """The version of the event's shape (1 unless declared ``name@N``)."""
    fields: List[FieldDescription]


class _Emitted(TypedDict):
    name: str
    version: int


class UpcastDescription(TypedDict):
    """How an older shape of an event (or a retired name) is read."""

    name: str
    version: int
    doc: Optional[str]
    fields: List[FieldDescription]
    emits: List[_Emitted]


class _Rejection(TypedDict):
    reason: Optional[str]
    message: str


class _CommandDescription(TypedDict):
    name: str
    doc: Optional[str]
    params: List[FieldDescription]
    emits: List[str]
    rejections: List[_Rejection]


class _RecordDescription(TypedDict):
    name: str
    doc: Optional[str]
    fields: List[FieldDescription]


class _Member(TypedDict):
    name: str
    doc: Optional[str]


class _EnumDescription(TypedDict):
    name: str
    doc: Optional[str]
    members: List[_Member]


class _QueryDescription(TypedDict):
    name: str
    doc: Optional[str]
    params: List[FieldDescription]
    returns: str


class _InvariantDescription(TypedDict):
    text: str
    doc: Optional[str]


class ModelDescription(TypedDict):
    name: str
    doc: Optional[str]
    state: List[FieldDescription]
    records: List[_RecordDescription]
    enums: List[_EnumDescription]
    commands: List[_CommandDescription]
    events: List[EventDescription]
    upcasts: List[UpcastDescription]
    queries: List[_QueryDescription]
    invariants: List[_InvariantDescription]


class ColumnDescription(TypedDict):
    name: str
    type: str
    key: bool
    """Whether the column is part of the table's key."""
    optional: bool
    """Whether the column may be null (``T?``)."""
    default: Any
    """What an insert that leaves the column out writes; None: no default."""
    doc: Optional[str]


class TableDescription(TypedDict):
    name: str
    doc: Optional[str]
    columns: List[ColumnDescription]
    key: List[str]
    """The key's columns, in order."""
    projection: str
    """The projection that writes the table."""


class _Handled(TypedDict):
    model: str
    event: str


class ProjectionDescription(TypedDict):
    name: str
    mode: Literal["inline", "async"]
    doc: Optional[str]
    handles: List[_Handled]
    writes: List[str]


class DomainDescription(TypedDict):
    """What ``Domain.describe()`` gives: the whole ubiquitous language."""

    models: List[ModelDescription]
    tables: List[TableDescription]
    projections: List[ProjectionDescription]
    tzdb: str
    """The IANA time zone database release the calendar uses (``2025b``)."""


# ------------------------------------------------------------ read side


class ProjectionError(TypedDict):
    """Why a projection stopped: the error of the event at ``position``."""

    code: str
    message: str
    position: int


class RebuildProgress(TypedDict):
    """A rebuild under way: the shadow tables are at ``position`` of
    ``head``."""

    position: int
    head: int


class ProjectionStatus(TypedDict):
    """One projection, as ``Engine.projections()`` gives it."""

    name: str
    mode: Literal["inline", "async"]
    status: Literal["live", "rebuilding", "stopped"]
    position: int
    """The last position folded."""
    lag: int
    """Events stored after ``position``."""
    parked: int
    """Events parked (``on_projection_error="park"``)."""
    error: Optional[ProjectionError]
    rebuild: Optional[RebuildProgress]
    runner: Optional[str]
    """Who runs an async projection now (the lease's owner,
    ``host:pid:uuid``); None for an inline one, or while none does."""


class Rebuilt(TypedDict):
    """What ``Engine.rebuild`` gives."""

    projection: str
    position: int
    """The position the new tables were swapped in at."""
    events: int
    """Events folded."""
    millis: float
    """The whole rebuild, in milliseconds."""
    pause_millis: float
    """How long writes waited for the swap, in milliseconds."""


class SubscriptionInfo(TypedDict):
    """One subscription, as ``Engine.subscriptions()`` gives it."""

    name: str
    checkpoint: int
    """Everything up to this position is acked."""
    lag: int
    """Events stored after the checkpoint."""
    parked: int
    models: Optional[List[str]]
    """The filter by model (None: every model)."""
    types: Optional[List[str]]
    """The filter by event type (None: every type)."""
    active: bool
    """Whether a consumer holds the name now."""


class ParkedEvent(TypedDict):
    """An event a subscription or a projection set aside, as
    ``Engine.parked(name)`` gives it."""

    name: str
    position: int
    reason: str
    parked_at: str
    """RFC 3339."""
    event: StoredEvent


# ------------------------------------------------------------ model changes


#: A model a migration changes: ``from`` the store's active revision (None
#: for a model the store has not seen), ``to`` the next one, ``replay``
#: whether its streams are replayed (its fingerprint changes). The
#: functional form, as ``from`` is a keyword.
PlannedModel = TypedDict(
    "PlannedModel", {"model": str, "from": Optional[str], "to": str, "replay": bool}
)


class LanguageChange(TypedDict):
    """One difference of the ubiquitous language between the active model
    and the next."""

    model: str
    change: Literal["added", "removed", "changed"]
    kind: Literal["state", "command", "event", "upcast", "query", "invariant", "record", "enum", "model"]
    name: str
    """As the model spells it; an event or upcast with its version,
    ``created@2``."""


class BlockingItem(TypedDict):
    """Stored events the next model cannot read: their ``type`` and
    ``schema``, how many, and the error reading one gives."""

    model: str
    type: str
    schema: int
    events: int
    code: str
    message: str


class ReplayFailure(TypedDict):
    """A stream whose replay with the next model fails."""

    stream: str
    code: str
    message: str


class StateChange(TypedDict):
    """One value of a state that the next model folds differently."""

    path: str
    """Dotted, such as ``todos.a.priority``."""
    before: Any
    """None where the old state has no value there."""
    after: Any
    """None where the new state has no value there."""


class StreamDifference(TypedDict):
    stream: str
    changes: List[StateChange]


class ReplayReport(TypedDict):
    """The replay of every affected stream with the next model."""

    streams: int
    events: int
    failed: List[ReplayFailure]
    different: int
    """Streams whose state comes out different from the old model's."""
    differences: List[StreamDifference]
    """The difference of the first few of them (``differences=N``, 5)."""


class TableChange(TypedDict):
    """How a table's rows would change once rebuilt, counted by key
    against the live rows."""

    table: str
    before: int
    after: int
    added: int
    removed: int
    changed: int


class _ProjectionChangeBase(TypedDict):
    name: str
    change: Literal["new", "changed", "removed"]


class ProjectionChange(_ProjectionChangeBase, total=False):
    """A projection that must rebuild; in a plan, for a new or changed one,
    how its tables' rows would change (``tables``) or the error it fails
    with on the stored events (``error``: ``code``, ``message``)."""

    tables: List[TableChange]
    error: Dict[str, str]


class MigrationPlan(TypedDict):
    """What ``Engine.migrate_plan`` gives. ``ok`` is False when
    ``blocking`` or ``replay["failed"]`` is not empty, or a projection
    fails, and ``migrate_apply`` refuses such a plan."""

    ok: bool
    models: List[PlannedModel]
    language: List[LanguageChange]
    blocking: List[BlockingItem]
    replay: ReplayReport
    projections: List[ProjectionChange]


#: A model ``migrate_apply`` switched: ``from`` the revision active before
#: (None for a new model), ``to`` the one active now.
MigratedModel = TypedDict("MigratedModel", {"model": str, "from": Optional[str], "to": str})


class MigrationApplied(TypedDict):
    """What ``Engine.migrate_apply`` gives."""

    models: List[MigratedModel]
    snapshots: int
    """Snapshots built under the new fingerprint."""
    projections: List[str]
    """The projections rebuilt."""
    events: int
    """Events replayed while the old model kept serving."""
    caught_up: int
    """Events written during the build, folded in the pause."""
    position: int
    """The global position the new model took over at."""
    millis: float
    """The whole apply, in milliseconds."""
    pause_millis: float
    """How long writers were held off (the final transaction), in
    milliseconds."""


class ModelVersion(TypedDict):
    """A model version registered in the store, as
    ``Engine.model_versions()`` gives it."""

    model: str
    revision: str
    fingerprint: str
    active: bool
    registered_at: str
    """RFC 3339."""
    activated_at: Optional[str]
    """RFC 3339; None for a version never active."""
