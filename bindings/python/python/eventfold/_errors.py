"""The exceptions of eventfold: one class per error code, under EventfoldError.

The native module raises them (see ``src/errors.rs``), passing the message
and the fields of the error by name: each ``__init__`` takes the fields of its
code in the core's table (``eventfold._eventfold._error_table()``), which the
tests check these classes against.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Type

from ._types import Diagnostic

__all__ = [
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
]


class EventfoldError(Exception):
    """Every error eventfold raises.

    ``code`` is the stable code of the error (the same in every language),
    ``message`` what a person reads.
    """

    code: ClassVar[str] = "internal"

    def __init__(self, message: str, *fields: Any) -> None:
        super().__init__(message, *fields)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> Dict[str, Any]:
        """The error as it crosses the JSON boundary: ``{code, message, ...}``."""
        out: Dict[str, Any] = {"code": self.code, "message": self.message}
        for key, value in vars(self).items():
            if not key.startswith("_"):
                out[key] = value
        return out


class Rejected(EventfoldError):
    """A ``reject`` of the model fired, or an invariant failed (``reason`` is
    then ``"invariant"``). ``reason`` is None for a reject without one."""

    code = "rejected"

    def __init__(self, message: str, reason: Optional[str] = None) -> None:
        super().__init__(message, reason)
        self.reason = reason


class InvalidJson(EventfoldError, ValueError):
    """Input that is not JSON: bad text, invalid UTF-8, a lone surrogate, a
    value JSON cannot hold (a set, NaN, an object), an int past 128 bits."""

    code = "invalid_json"


class InvalidCommand(EventfoldError):
    """A command that does not fit its params; ``path`` names the spot."""

    code = "invalid_command"

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message, path)
        self.path = path


class UnknownCommand(EventfoldError):
    code = "unknown_command"


class InvalidEvent(EventfoldError):
    """An event (or a state) that does not fit its declaration."""

    code = "invalid_event"

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message, path)
        self.path = path


class UnknownEvent(EventfoldError):
    code = "unknown_event"


class UnknownModel(EventfoldError):
    code = "unknown_model"


class UnknownQuery(EventfoldError):
    code = "unknown_query"


class ModelError(EventfoldError):
    """The model does not compile. ``diagnostics`` lists every problem
    (``file``, ``line``, ``column``, ``message``); ``message`` shows each
    with its source line and a caret."""

    code = "model_error"

    def __init__(self, message: str, diagnostics: Optional[List[Diagnostic]] = None) -> None:
        diagnostics = list(diagnostics or [])
        super().__init__(message, diagnostics)
        self.diagnostics: List[Diagnostic] = diagnostics


class EvaluationError(EventfoldError):
    code = "evaluation_error"


class VersionConflict(EventfoldError):
    """The stream was not at the `expected_version` given."""

    code = "version_conflict"

    def __init__(self, message: str, expected: int = 0, actual: int = 0) -> None:
        super().__init__(message, expected, actual)
        self.expected = expected
        self.actual = actual


class LimitExceeded(EventfoldError):
    """A limit of the language was passed; ``limit`` names it."""

    code = "limit_exceeded"

    def __init__(self, message: str, limit: str = "") -> None:
        super().__init__(message, limit)
        self.limit = limit


class StoreError(EventfoldError):
    """The store failed, or the engine is closed. ``kind`` says why:
    ``"busy"`` or ``"unavailable"`` (worth a retry), ``"corrupt"``,
    ``"closed"`` or ``"io"``."""

    code = "store_error"

    def __init__(self, message: str, kind: Optional[str] = None) -> None:
        super().__init__(message, kind)
        self.kind = kind


class ModelChanged(EventfoldError):
    """The store runs a newer version of ``model`` than this engine."""

    code = "model_changed"

    def __init__(self, message: str, model: str = "") -> None:
        super().__init__(message, model)
        self.model = model


class UnknownTable(EventfoldError):
    code = "unknown_table"


class UnknownProjection(EventfoldError):
    code = "unknown_projection"


class IoError(EventfoldError, OSError):
    """A file given by path could not be read (a model file that is missing,
    unreadable or not UTF-8); ``path`` names it, and so does the message.
    Also an ``OSError`` (``filename`` is ``path``), so ``except OSError``
    catches it too."""

    code = "io_error"

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message, path)
        self.path = path
        self.strerror = message
        self.filename = path

    def __reduce__(self) -> Any:
        return (type(self), (self.message, self.path))

    def to_dict(self) -> Dict[str, Any]:
        return {"code": self.code, "message": self.message, "path": self.path}


class Internal(EventfoldError):
    """A bug in eventfold; please report it."""

    code = "internal"


InternalError = Internal

BY_CODE: Dict[str, Type[EventfoldError]] = {
    cls.code: cls
    for cls in (
        Rejected,
        InvalidJson,
        InvalidCommand,
        UnknownCommand,
        InvalidEvent,
        UnknownEvent,
        UnknownModel,
        UnknownQuery,
        ModelError,
        EvaluationError,
        VersionConflict,
        LimitExceeded,
        StoreError,
        ModelChanged,
        UnknownTable,
        UnknownProjection,
        IoError,
        Internal,
    )
}
