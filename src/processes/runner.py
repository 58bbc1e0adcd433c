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
from .errors import ProcError
from .store import Store

EXIT_TIMEOUT = 124
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
DEFAULT_GRACE = 10.0
ENV_GRACE = "PROC_RUN_GRACE"
"""Seconds between SIGTERM and SIGKILL when the timeout expires."""

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def grace_from_env() -> float:
    """Seconds from SIGTERM to SIGKILL on timeout: ``$PROC_RUN_GRACE``, default 10."""
    import os

    raw = os.environ.get(ENV_GRACE, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_GRACE
    return value if value >= 0 else DEFAULT_GRACE


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
    # Signals are caught from before the start is recorded until after the end
    # is: one that arrives before the command runs is held (see _Forwarder), so
    # proc run never dies between the two writes and leaves the record running.
    with _Forwarder() as fwd:
        started = tracker.start(
            store,
            name,
            layer,
            switch=switch,
            extra={"command": list(argv)},
            unless_running=skip_if_running,
        )
        uid = started.record["uid"]
        if fwd.pending:
            # Told to stop before the command started (e.g. while waiting for the
            # store's lock): do not start it.
            signum = fwd.pending[0]
            name_ = signal.Signals(signum).name
            record, error = _finish(
                store,
                uid,
                {
                    "exit_code": None,
                    "signal": name_,
                    "error": f"{name_} received before the command started; it was not run",
                },
            )
            return RunResult(record, 128 + signum, error)
        env = dict(os.environ, PROC_UID=uid, PROC_STORE=os.path.abspath(store.path))
        outcome: dict[str, Any]
        status: int
        try:
            outcome, status = _execute(argv, env, timeout, grace, fwd)
        except BaseException:
            # proc itself is going down (e.g. an unexpected error): still close the record.
            _finish(store, uid, {"exit_code": None, "signal": None})
            raise
        record, error = _finish(store, uid, outcome)
    return RunResult(record, status, error)


class _Forwarder:
    """While entered, SIGINT, SIGTERM and SIGHUP go to the attached child.

    Before a child is attached they are held in ``pending`` and sent to it on
    :meth:`attach`; after it has ended they are dropped (proc run is finishing).
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.pending: list[int] = []
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Forwarder:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in FORWARDED}
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.child is None:
            self.pending.append(signum)
            return
        try:
            self.child.send_signal(signum)
        except OSError:
            pass

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self.child = child
        while self.pending:
            self._handle(self.pending.pop(0), None)


def _finish(
    store: Store, uid: str, outcome: dict[str, Any]
) -> tuple[dict[str, Any] | None, ProcError | None]:
    extra = {k: v for k, v in outcome.items() if not (k == "signal" and v is None)}
    try:
        return tracker.stop(store, uid, extra=extra), None
    except ProcError as exc:
        return None, exc


def _execute(
    argv: list[str],
    env: dict[str, str],
    timeout: float | None,
    grace: float,
    fwd: _Forwarder,
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
    fwd.attach(child)
    timed_out = False
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
    code = child.returncode
    outcome: dict[str, Any] = {"exit_code": code if code >= 0 else None}
    if code < 0:
        outcome["signal"] = signal.Signals(-code).name
    if timed_out:
        outcome["timed_out"] = True
        return outcome, EXIT_TIMEOUT
    return outcome, code if code >= 0 else 128 - code
