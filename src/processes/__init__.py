"""proc-tracker's library: processes with layers, nested pauses and a dependency map,
kept in one JSON file that concurrent commands never corrupt.

    from processes import Process, TimeStamp, Mindmap

Names are loaded on first use, so that ``proc`` starts without importing the
parts a command does not need. The command line lives in :mod:`processes.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

_WHERE = {
    "Mindmap": "model",
    "Process": "model",
    "TimeStamp": "model",
    "Document": "store",
    "Store": "store",
    "AlreadyActiveError": "errors",
    "AmbiguousTargetError": "errors",
    "InvalidRecordError": "errors",
    "LayerBusyError": "errors",
    "LockTimeoutError": "errors",
    "NotFoundError": "errors",
    "ProcError": "errors",
    "StateError": "errors",
    "StoreError": "errors",
    "TimeFormatError": "errors",
    "TimeOrderError": "errors",
    "UsageError": "errors",
}

__all__ = [*_WHERE, "__version__"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .errors import (  # noqa: F401 - re-exported lazily
        AlreadyActiveError,
        AmbiguousTargetError,
        InvalidRecordError,
        LayerBusyError,
        LockTimeoutError,
        NotFoundError,
        ProcError,
        StateError,
        StoreError,
        TimeFormatError,
        TimeOrderError,
        UsageError,
    )
    from .model import Mindmap, Process, TimeStamp  # noqa: F401
    from .store import Document, Store  # noqa: F401


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'processes' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"processes.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
