"""The JSON store: one file, locked read-modify-write, atomic replacement.

This module is the one narrow interface between the commands and the file:
:class:`Store` hands out a :class:`Document` to read (:meth:`Store.read`) or
to change under the lock (:meth:`Store.transaction`). Another backend only has
to provide those two.

The write protocol: exclusive ``flock`` on the sidecar ``<store>.lock`` (never
deleted, so every writer locks the same inode); leftover temp files of killed
writers are removed; the new content goes to a temp file in the same directory,
is flushed and fsynced, gets the old file's mode, and is ``os.replace``d over
the store; then the directory is fsynced. The previous content is kept as a
hard link ``<store>.prev`` for ``proc undo``. A reader never sees half a file
and parallel writers never lose each other's changes.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from contextlib import contextmanager

from . import codec, schema
from .errors import InvalidRecordError, LockTimeoutError, StoreError

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

ENV_STORE = "PROC_STORE"
ENV_LOCK_TIMEOUT = "PROC_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0
LOCK_NOTICE_AFTER = 1.0


def default_path() -> str:
    """``platformdirs.user_data_dir("proc", appauthor=False)/processes.json``."""
    import platformdirs

    return os.path.join(platformdirs.user_data_dir("proc", appauthor=False), "processes.json")


def resolve_path(explicit: str | os.PathLike[str] | None = None) -> str:
    """The store's path: ``explicit``, else ``$PROC_STORE``, else the user data dir."""
    if explicit:
        return os.fspath(explicit)
    env = os.environ.get(ENV_STORE)
    if env:
        return env
    return default_path()


def _lock_timeout() -> float:
    raw = os.environ.get(ENV_LOCK_TIMEOUT)
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if value >= 0 else DEFAULT_LOCK_TIMEOUT


def _notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Document:
    """The decoded store: ``{"processes": {uid: record}, "mindmap": {...}, ...}``.

    Unknown keys, top-level or in a record, are kept as they are. Mutating
    helpers validate what they touch and mark the document as changed.
    """

    def __init__(self, data: dict[str, Any], path: str, size: int = 0) -> None:
        self.data = data
        self.path = path
        self.size = size
        self.changed = False

    @property
    def processes(self) -> dict[str, Any]:
        """The records, keyed by UID (created empty when absent)."""
        procs: dict[str, Any] = self.data.setdefault("processes", {})
        return procs

    @property
    def mindmap(self) -> dict[str, list[str]]:
        """The dependency map ``{node: [nodes]}`` (created empty when absent)."""
        mm: dict[str, list[str]] = self.data.setdefault("mindmap", {})
        return mm

    def put(self, record: dict[str, Any]) -> None:
        """Insert or replace a record under its UID after checking its invariants."""
        uid = record.get("uid")
        fault = next(schema.record_faults(uid, record, "$"), None)
        if fault is not None:
            where, problem = fault
            raise InvalidRecordError(f"invalid record {uid!r} at {where}: {problem}")
        self.processes[str(uid)] = record
        self.changed = True

    def delete(self, uid: str) -> bool:
        """Remove a record; True when it existed."""
        procs = self.data.get("processes")
        if not procs or uid not in procs:
            return False
        del procs[uid]
        self.changed = True
        return True

    def clear(self) -> int:
        """Remove every record; returns how many there were."""
        procs = self.data.get("processes") or {}
        count = len(procs)
        self.data["processes"] = {}
        self.changed = True
        return count

    def touch(self) -> None:
        """Mark the document as changed (after editing ``mindmap`` directly)."""
        self.changed = True


class Store:
    """A store file. ``read()`` for a consistent snapshot, ``transaction()`` to change it."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = resolve_path(path)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    @property
    def real(self) -> str:
        """The file itself, symlinks followed."""
        return os.path.realpath(self.path)

    @property
    def lock_path(self) -> str:
        return self.real + ".lock"

    @property
    def prev_path(self) -> str:
        return self.real + ".prev"

    # -- reading ---------------------------------------------------------------------

    def read_bytes(self) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        try:
            with open(self.real, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise StoreError(self.path, "is a directory, not a store file") from None
        except OSError as exc:
            raise StoreError(self.path, f"cannot be read: {exc.strerror}") from None

    def decode(self, data: bytes | None) -> Document:
        """Decode and fully validate bytes read from this store."""
        if data is None:
            return Document({"processes": {}}, self.path)
        try:
            obj = codec.loads(data)
        except codec.DecodeError as exc:
            raise StoreError(self.path, str(exc)) from None
        fault = schema.first_fault(obj)
        if fault is not None:
            where, problem = fault
            raise StoreError(self.path, problem, where)
        return Document(obj, self.path, len(data))

    def read(self) -> Document:
        """A validated snapshot, without the lock (writes are atomic renames)."""
        return self.decode(self.read_bytes())

    # -- changing ----------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the exclusive lock on ``<store>.lock``.

        After about a second of waiting a notice goes to stderr; after ``timeout``
        seconds (``$PROC_LOCK_TIMEOUT``, default 10) :class:`LockTimeoutError`.
        """
        import fcntl

        timeout = _lock_timeout() if timeout is None else timeout
        real = self.real
        directory = os.path.dirname(real) or "."
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                self.path, f"cannot create the directory {directory}: {exc.strerror}"
            ) from None
        try:
            fd = os.open(real + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise StoreError(
                self.path,
                f"cannot create the lock file in the directory {directory}: {exc.strerror}",
            ) from None
        try:
            start = time.monotonic()
            told = False
            delay = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise StoreError(
                            self.path, f"cannot lock {real}.lock: {exc.strerror}"
                        ) from None
                waited = time.monotonic() - start
                if waited >= timeout:
                    raise LockTimeoutError(
                        self.path,
                        f"another proc command held the lock {real}.lock for "
                        f"{waited:.1f} s; gave up (set {ENV_LOCK_TIMEOUT} to wait longer)",
                    )
                if not told and waited >= LOCK_NOTICE_AFTER:
                    _notice(f"proc: waiting for the lock on {real} ...")
                    told = True
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    @contextmanager
    def transaction(self) -> Iterator[Document]:
        """Read-modify-write under the lock; written atomically if the body changed it."""
        with self.lock():
            self._clean_temp_files()
            doc = self.decode(self.read_bytes())
            yield doc
            if doc.changed:
                self.write(doc)

    def write(self, doc: Document) -> None:
        """Atomically replace the file with ``doc`` (call with the lock held)."""
        data = codec.dumps(doc.data)
        self._replace(data, keep_previous=True)

    def _replace(self, data: bytes, keep_previous: bool) -> None:
        real = self.real
        directory = os.path.dirname(real) or "."
        base = os.path.basename(real)
        tmp = os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            mode: int | None = os.stat(real).st_mode & 0o7777
        except FileNotFoundError:
            mode = None
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise StoreError(
                self.path, f"cannot write in the directory {directory}: {exc.strerror}"
            ) from None
        try:
            try:
                if mode is not None:
                    os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            if keep_previous and mode is not None:
                self._keep_previous(real)
            os.replace(tmp, real)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise StoreError(
                self.path, f"write failed, the store is unchanged: {exc.strerror}"
            ) from None
        _fsync_dir(directory)

    def _keep_previous(self, real: str) -> None:
        prev = real + ".prev"
        try:
            os.unlink(prev)
        except FileNotFoundError:
            pass
        try:
            os.link(real, prev)
        except OSError:
            # A filesystem without hard links: undo is unavailable, the write goes on.
            pass

    def _clean_temp_files(self) -> None:
        # Only writers holding the lock create temp files, so any found now are
        # leftovers of a writer that was killed.
        real = self.real
        directory = os.path.dirname(real) or "."
        prefix = "." + os.path.basename(real) + "."
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            if _is_temp_name(name, prefix):
                try:
                    os.unlink(os.path.join(directory, name))
                except OSError:
                    pass

    # -- undo --------------------------------------------------------------------------

    def undo(self) -> tuple[Document, Document]:
        """Restore the content before the last change; returns (undone, restored).

        Undo twice in a row does not redo: the restored state has no ``.prev``.
        """
        from .errors import StateError

        with self.lock():
            self._clean_temp_files()
            prev = self.prev_path
            try:
                with open(prev, "rb") as fh:
                    old = fh.read()
            except FileNotFoundError:
                raise StateError(
                    "nothing to undo: no change was recorded since the last undo"
                ) from None
            except OSError as exc:
                raise StoreError(self.path, f"cannot read {prev}: {exc.strerror}") from None
            restored = self.decode(old)
            current = self.decode(self.read_bytes())
            self._replace(old, keep_previous=False)
            try:
                os.unlink(prev)
            except FileNotFoundError:
                pass
            return current, restored


def _is_temp_name(name: str, prefix: str) -> bool:
    # Exactly "<prefix><pid>.<8 hex>.tmp", as _replace names them: a looser match
    # would also take the temp file of a store named e.g. "<store>.2", in the
    # middle of a write under that store's own lock.
    if not (name.startswith(prefix) and name.endswith(".tmp")):
        return False
    pid, dot, tag = name[len(prefix) : -len(".tmp")].partition(".")
    return (
        bool(dot)
        and pid.isdigit()
        and pid.isascii()
        and len(tag) == 8
        and all(c in "0123456789abcdef" for c in tag)
    )


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def mutate(store: Store, change: Callable[[Document], Any]) -> Any:
    """Run ``change`` on the document under the lock and write the result."""
    with store.transaction() as doc:
        return change(doc)
