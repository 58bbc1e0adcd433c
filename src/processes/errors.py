"""Exceptions raised by the library.

Every error a user can cause is a :class:`ProcError`; its ``exit_code`` is the
status the command line exits with (see the README's table):

* 1 -- the request cannot be done (not found, ambiguous, wrong state, busy layer)
* 2 -- usage error (bad value, bad time)
* 3 -- store error (unreadable or invalid store, lock timeout, write failed)
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from typing import Any


class ProcError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- 1: the request cannot be done ------------------------------------------------


class NotFoundError(ProcError):
    """No process matches the target."""


class AmbiguousTargetError(ProcError):
    """Several processes match the target; ``candidates`` holds their records."""

    def __init__(self, message: str, candidates: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.candidates = candidates


class StateError(ProcError):
    """The process is in the wrong state for the request (e.g. resuming a running one)."""


class LayerBusyError(ProcError):
    """A layer >= 1 already has an active process; ``active`` is its record."""

    def __init__(self, message: str, active: dict[str, Any]) -> None:
        super().__init__(message)
        self.active = active


class AlreadyActiveError(ProcError):
    """A process of that name is active (``proc run --skip-if-running``)."""

    def __init__(self, message: str, active: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.active = active


# -- 2: usage ------------------------------------------------------------------------


class UsageError(ProcError):
    """A value given by the user is not acceptable."""

    exit_code = 2


class TimeFormatError(UsageError):
    """A time expression does not parse."""


class TimeOrderError(UsageError):
    """A time lies in the future, or before the event it must follow."""


# -- 3: the store ---------------------------------------------------------------------


class StoreError(ProcError):
    """The store cannot be read, is invalid, or cannot be written.

    ``path`` names the file; ``where`` is the JSON path of the fault (``$`` is the
    top level), or ``None`` when the fault is not at a place in the document.
    """

    exit_code = 3

    def __init__(self, path: str, problem: str, where: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.where = where
        at = f" at {where}" if where else ""
        super().__init__(f"store {path}{at}: {problem}")


class LockTimeoutError(StoreError):
    """The store's lock was not obtained in time."""


class InvalidRecordError(UsageError, ValueError):
    """A record would break the store's invariants (e.g. it ends before it starts)."""
