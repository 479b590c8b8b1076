"""The shapes of what eventfold takes and gives, for type checkers.

Everything crosses as plain dicts and lists; these TypedDicts only describe
them (at run time they are ordinary dicts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Tuple, TypedDict, Union

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
    """Global, unique and increasing."""
    type: str
    data: Dict[str, Any]
    metadata: Dict[str, Any]
    """``recorded_at``, ``command_id``, ``correlation_id``,
    ``causation_id`` and the caller's keys."""


class Executed(TypedDict):
    """What ``Engine.execute`` gives: the stream, its version after the
    command, and the events it appended."""

    stream: str
    version: int
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
