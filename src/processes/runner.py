"""``proc run``: wrap a command, record the run, keep its exit status.

The wrapped command inherits stdin, stdout and stderr untouched, sees
``PROC_UID`` and ``PROC_STORE`` in its environment, and receives the SIGINT,
SIGTERM and SIGHUP sent to ``proc run``. The record gains ``command`` (argv),
``exit_code`` (None when a signal ended it) and ``signal`` (the signal's name).
Exit status, as ``timeout(1)`` and shells use them: the command's own; 124 when
the timeout expired; 126 when it cannot be executed; 127 when it is not found;
128+N when it died of signal N.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from . import tracker
from .errors import ProcError, StoreError
from .store import Store

EXIT_TIMEOUT = 124
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
DEFAULT_GRACE = 10.0
"""Seconds between SIGTERM and SIGKILL when the timeout expires."""

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunResult:
    """How a run ended: the final record (None if it could not be written) and the status."""

    def __init__(self, record: dict[str, Any] | None, status: int, error: ProcError | None):
        self.record = record
        self.status = status
        self.error = error


def run(
    store: Store,
    name: str,
    argv: list[str],
    layer: int = 0,
    switch: bool = False,
    timeout: float | None = None,
    skip_if_running: bool = False,
    grace: float = DEFAULT_GRACE,
) -> RunResult:
    """Start ``name``, run ``argv``, stop ``name`` however ``argv`` ends.

    Raises (and does not run ``argv``) when the start cannot be recorded, or when
    ``skip_if_running`` and a process of that name is active. A failure to
    record the end does not change the returned status; it is in ``.error``.
    """
    if not argv:
        from .errors import UsageError

        raise UsageError("give the command to run after --, e.g. proc run backup -- ./backup.sh")
    started = tracker.start(
        store,
        name,
        layer,
        switch=switch,
        extra={"command": list(argv)},
        unless_running=skip_if_running,
    )
    uid = started.record["uid"]
    env = dict(os.environ, PROC_UID=uid, PROC_STORE=os.path.abspath(store.path))
    outcome: dict[str, Any]
    status: int
    try:
        outcome, status = _execute(argv, env, timeout, grace)
    except BaseException:
        # proc itself is going down (e.g. an unexpected error): still close the record.
        _finish(store, uid, {"exit_code": None, "signal": None})
        raise
    record, error = _finish(store, uid, outcome)
    return RunResult(record, status, error)


def _finish(
    store: Store, uid: str, outcome: dict[str, Any]
) -> tuple[dict[str, Any] | None, ProcError | None]:
    extra = {k: v for k, v in outcome.items() if not (k == "signal" and v is None)}
    try:
        return tracker.stop(store, uid, extra=extra), None
    except ProcError as exc:
        return None, exc


def _execute(
    argv: list[str], env: dict[str, str], timeout: float | None, grace: float
) -> tuple[dict[str, Any], int]:
    try:
        child = subprocess.Popen(argv, env=env)
    except FileNotFoundError:
        return {
            "exit_code": EXIT_NOT_FOUND,
            "error": f"command not found: {argv[0]}",
        }, EXIT_NOT_FOUND
    except (PermissionError, OSError) as exc:
        return (
            {
                "exit_code": EXIT_CANNOT_EXECUTE,
                "error": f"cannot execute {argv[0]}: {exc.strerror}",
            },
            EXIT_CANNOT_EXECUTE,
        )

    def forward(signum: int, _frame: Any) -> None:
        try:
            child.send_signal(signum)
        except OSError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    timed_out = False
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                child.wait(timeout=left)
                break
            except subprocess.TimeoutExpired:
                timed_out = True
                child.terminate()
                try:
                    child.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = child.returncode
    outcome: dict[str, Any] = {"exit_code": code if code >= 0 else None}
    if code < 0:
        outcome["signal"] = signal.Signals(-code).name
    if timed_out:
        outcome["timed_out"] = True
        return outcome, EXIT_TIMEOUT
    return outcome, code if code >= 0 else 128 - code


def describe_failure(error: StoreError | ProcError) -> str:
    """The stderr line when the end of a run could not be recorded."""
    return f"the command ran, but its end could not be recorded: {error.message}"
