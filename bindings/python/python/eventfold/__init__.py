"""eventfold: event-sourced aggregates written once in a small model
language, run in-process.

>>> from eventfold import Domain, Engine
>>> domain = Domain({"counter.model": '''
...   model Counter {
...     state { count: int }
...     command bump(by: int = 1) { emit bumped(by) }
...     event bumped(by: int) { set count = count + by }
...   }'''})
>>> domain.propose("Counter", None, {"type": "bump", "data": {"by": 2}})
[{'type': 'bumped', 'data': {'by': 2}}]

``Domain`` runs the pure verbs (propose, accept, replay, query, upcast,
project);
``Engine`` keeps the events in a store (``"memory:"``, ``"sqlite:PATH"``
or ``"postgres://..."``), with the projections' tables (``rows``),
subscriptions (``subscribe``, iterated with ``for`` or ``async for``) and
live model changes (``migrate_plan``, ``migrate_apply``); ``AsyncEngine``
has the same verbs as coroutines, run off the event loop. Dicts and lists
go in and come out; every error is an ``EventfoldError``, one subclass per
code.
"""

from ._errors import (
    BY_CODE,
    EvaluationError,
    EventfoldError,
    Internal,
    InternalError,
    InvalidCommand,
    InvalidEvent,
    InvalidJson,
    IoError,
    LimitExceeded,
    ModelChanged,
    ModelError,
    Rejected,
    StoreError,
    UnknownCommand,
    UnknownEvent,
    UnknownModel,
    UnknownProjection,
    UnknownQuery,
    UnknownTable,
    VersionConflict,
)
from ._async import AsyncEngine
from ._eventfold import Domain, Engine, __version__
from ._subscription import Subscription
from ._types import (
    ColumnDescription,
    Command,
    Diagnostic,
    Document,
    DomainDescription,
    Event,
    EventDescription,
    ExecuteOptions,
    ExecuteRequest,
    Executed,
    FieldDescription,
    JsonText,
    Loaded,
    ModelDescription,
    ParkedEvent,
    ProjectEvent,
    ProjectionDescription,
    ProjectionError,
    ProjectionStatus,
    RebuildProgress,
    Rebuilt,
    Row,
    Sources,
    State,
    StoredEvent,
    StoredShape,
    StreamInfo,
    SubscriptionInfo,
    TableDescription,
    Tables,
    Time,
    UpcastDescription,
    UpcastEvent,
    BlockingItem,
    LanguageChange,
    MigratedModel,
    MigrationApplied,
    MigrationPlan,
    ModelVersion,
    PlannedModel,
    ProjectionChange,
    ReplayFailure,
    ReplayReport,
    StateChange,
    StreamDifference,
    TableChange,
)

__all__ = [
    "Domain",
    "Engine",
    "AsyncEngine",
    "Subscription",
    "__version__",
    # errors
    "EventfoldError",
    "Rejected",
    "InvalidJson",
    "InvalidCommand",
    "UnknownCommand",
    "InvalidEvent",
    "UnknownEvent",
    "UnknownModel",
    "UnknownQuery",
    "ModelError",
    "EvaluationError",
    "VersionConflict",
    "LimitExceeded",
    "StoreError",
    "ModelChanged",
    "UnknownTable",
    "UnknownProjection",
    "IoError",
    "Internal",
    "InternalError",
    "BY_CODE",
    # shapes
    "ColumnDescription",
    "Command",
    "Diagnostic",
    "Document",
    "DomainDescription",
    "Event",
    "EventDescription",
    "ExecuteOptions",
    "ExecuteRequest",
    "Executed",
    "FieldDescription",
    "JsonText",
    "Loaded",
    "ModelDescription",
    "ParkedEvent",
    "ProjectEvent",
    "ProjectionDescription",
    "ProjectionError",
    "ProjectionStatus",
    "RebuildProgress",
    "Rebuilt",
    "Row",
    "Sources",
    "State",
    "StoredEvent",
    "StoredShape",
    "StreamInfo",
    "SubscriptionInfo",
    "TableDescription",
    "Tables",
    "Time",
    "UpcastDescription",
    "UpcastEvent",
    # model changes
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
