"""proc-tracker's library: processes with layers, nested pauses and a dependency map,
kept in one JSON file that concurrent commands never corrupt.

    from processes import Process, TimeStamp, Mindmap

The command line (``proc``) lives in :mod:`processes.cli`; it is not imported here.
"""

from __future__ import annotations

from .errors import (
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
from .model import Mindmap, Process, TimeStamp
from .store import Document, Store

__version__ = "0.1.0"

__all__ = [
    "AmbiguousTargetError",
    "Document",
    "InvalidRecordError",
    "LayerBusyError",
    "LockTimeoutError",
    "Mindmap",
    "NotFoundError",
    "Process",
    "ProcError",
    "StateError",
    "Store",
    "StoreError",
    "TimeFormatError",
    "TimeOrderError",
    "TimeStamp",
    "UsageError",
    "__version__",
]
