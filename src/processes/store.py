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
    from collections.abc import Iterator
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

    A document read from bytes proc wrote itself starts *lazy*: records stay
    undecoded until one is asked for (:meth:`get`, :meth:`active`), and a write
    splices the changed lines into the old bytes. Touching :attr:`data` or
    :attr:`processes` decodes everything once; from then on it is a plain dict.
    """

    def __init__(self, data: dict[str, Any] | None, path: str, raw: bytes | None = None) -> None:
        from .layout import Layout

        self._data = data
        self._layout = Layout(raw) if data is None and raw is not None else None
        if data is None and self._layout is None:
            self._data = {"processes": {}}
        self._cache: dict[str, Any] = {}  # lazy: uid -> decoded record (or None: deleted)
        self._order: list[str] = []  # lazy: uids put that were not in the bytes
        self._dirty: set[str] = set()  # lazy: uids put or deleted
        self._absent: set[str] = set()  # lazy: uids known not to be in the bytes
        self._tail: dict[str, Any] | None = None  # lazy: decoded non-record keys
        self._tail_changed = False
        self.path = path
        self.changed = False

    # -- whole-document access ------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        """The whole document as a dict (decodes every record the first time)."""
        if self._data is None:
            assert self._layout is not None
            obj: dict[str, Any] = codec.loads(self._layout.raw)
            procs: dict[str, Any] = obj.setdefault("processes", {})
            for uid, rec in self._cache.items():
                if rec is None:
                    procs.pop(uid, None)
                else:
                    procs[uid] = rec
            if self._tail is not None:
                for key in [k for k in obj if k != "processes"]:
                    del obj[key]
                obj.update(self._tail)
            self._data = obj
            self._layout = None
        return self._data

    @property
    def processes(self) -> dict[str, Any]:
        """The records, keyed by UID (created empty when absent)."""
        procs: dict[str, Any] = self.data.setdefault("processes", {})
        return procs

    def _tail_dict(self) -> dict[str, Any]:
        if self._data is not None:
            return self._data
        if self._tail is None:
            assert self._layout is not None
            self._tail = self._layout.tail()
        return self._tail

    @property
    def mindmap(self) -> dict[str, list[str]]:
        """The dependency map ``{node: [nodes]}`` (created empty when absent)."""
        mm: dict[str, list[str]] = self._tail_dict().setdefault("mindmap", {})
        return mm

    # -- records ------------------------------------------------------------------

    def get(self, uid: str) -> dict[str, Any] | None:
        """The record stored under ``uid``, or None."""
        if self._data is not None:
            rec: dict[str, Any] | None = self.processes.get(uid)
            return rec
        if uid in self._cache:
            cached: dict[str, Any] | None = self._cache[uid]
            return cached
        assert self._layout is not None
        if uid in self._absent or not schema.is_uid(uid):
            return None
        span = self._layout.span(uid)
        if span is None:
            self._absent.add(uid)
            return None
        _, found = self._layout.record_at(span)
        self._cache[uid] = found
        return found  # type: ignore[no-any-return]

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, str) and self.get(uid) is not None

    def active(self) -> list[dict[str, Any]]:
        """The records not yet stopped, decoding only those."""
        from .timeline import is_active

        if self._data is not None:
            return [r for r in self.processes.values() if is_active(r)]
        assert self._layout is not None
        out: dict[str, dict[str, Any]] = {}
        for span in self._layout.active_spans():
            uid, rec = self._layout.record_at(span)
            if uid not in self._cache and is_active(rec):
                self._cache[uid] = rec
        for uid, rec in self._cache.items():
            if rec is not None and is_active(rec):
                out[uid] = rec
        return list(out.values())

    def put(self, record: dict[str, Any]) -> None:
        """Insert or replace a record under its UID after checking its invariants."""
        uid = record.get("uid")
        fault = next(schema.record_faults(uid, record, "$"), None)
        if fault is not None:
            where, problem = fault
            raise InvalidRecordError(f"invalid record {uid!r} at {where}: {problem}")
        if self._data is not None:
            self.processes[str(uid)] = record
        else:
            assert self._layout is not None
            key = str(uid)
            if key in self._cache and self._cache[key] is None:
                # Put again after a delete: like a dict, it now comes last.
                if key in self._order:
                    self._order.remove(key)
                self._order.append(key)
            elif key not in self._cache and key not in self._order:
                if key in self._absent or self._layout.span(key) is None:
                    self._order.append(key)
            self._cache[key] = record
            self._dirty.add(key)
        self.changed = True

    def delete(self, uid: str) -> bool:
        """Remove a record; True when it existed."""
        if self.get(uid) is None:
            return False
        if self._data is not None:
            del self.processes[uid]
        else:
            self._cache[uid] = None
            self._dirty.add(uid)
        self.changed = True
        return True

    def clear(self) -> int:
        """Remove every record; returns how many there were."""
        procs = self.processes
        count = len(procs)
        self.data["processes"] = {}
        self.changed = True
        return count

    def touch(self) -> None:
        """Mark the document as changed (after editing ``mindmap`` directly)."""
        self.changed = True
        self._tail_changed = True

    def encode(self) -> bytes:
        """The document in proc's layout (only changed lines re-encoded when lazy)."""
        from . import layout

        if self._data is not None:
            return layout.encode(self._data)
        assert self._layout is not None
        edits: dict[tuple[int, int], bytes] = {}
        added: list[bytes] = []
        for uid in self._dirty:
            rec = self._cache.get(uid)
            span = None if uid in self._absent else self._layout.span(uid)
            if span is None:
                continue
            if uid in self._order or rec is None:
                edits[span] = b""  # deleted, or moved to the end
            else:
                edits[span] = layout.encode_record(uid, rec)
        for uid in self._order:
            rec = self._cache.get(uid)
            if rec is not None:
                added.append(layout.encode_record(uid, rec))
        tail = None
        if self._tail_changed and self._tail is not None:
            tail = layout.encode_tail(self._tail)
        return self._layout.splice(edits, added, tail)


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
        return Document(obj, self.path)

    def read(self) -> Document:
        """A validated snapshot, without the lock (writes are atomic renames)."""
        return self._load(*self._snapshot())

    def _snapshot(self) -> tuple[bytes | None, bytes | None]:
        """The file's bytes and the stamp of the very file they were read from."""
        try:
            with open(self.real, "rb") as fh:
                st = os.fstat(fh.fileno())
                return fh.read(), _stamp(st)
        except FileNotFoundError:
            return None, None
        except IsADirectoryError:
            raise StoreError(self.path, "is a directory, not a store file") from None
        except OSError as exc:
            raise StoreError(self.path, f"cannot be read: {exc.strerror}") from None

    def _load(self, data: bytes | None, stamp: bytes | None) -> Document:
        # A file whose stamp proc recorded when it wrote it (under the lock, after
        # checking every change) is known valid and in proc's layout: it is read
        # lazily. Anything else -- an edit by hand, another program, an older
        # version -- is decoded and validated in full.
        if data is not None and stamp is not None:
            try:
                with open(self.real + ".lock", "rb") as fh:
                    trusted = fh.read(len(stamp) + 1) == stamp
            except OSError:
                trusted = False
            if trusted:
                from .layout import LayoutError

                try:
                    return Document(None, self.path, raw=data)
                except LayoutError:
                    pass
        return self.decode(data)

    # -- changing ----------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[int]:
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
            yield fd
        finally:
            os.close(fd)  # closing releases the flock

    @contextmanager
    def transaction(self) -> Iterator[Document]:
        """Read-modify-write under the lock; written atomically if the body changed it."""
        with self.lock() as lock_fd:
            self._clean_temp_files()
            doc = self._load(*self._snapshot())
            yield doc
            if doc.changed:
                self.write(doc, lock_fd)

    def write(self, doc: Document, lock_fd: int | None = None) -> None:
        """Atomically replace the file with ``doc`` (call with the lock held).

        With the lock's descriptor, the new file's stamp is recorded in the lock
        file, so that the next command can trust it without validating it again.
        """
        st = self._replace(doc.encode(), keep_previous=True)
        if lock_fd is not None:
            _record_stamp(lock_fd, _stamp(st))

    def _replace(self, data: bytes, keep_previous: bool) -> os.stat_result:
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
                written = os.fstat(fd)
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
        return written

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
        cache_prefix = prefix + "ls."  # the listing cache's, written without the lock
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            path = os.path.join(directory, name)
            try:
                if _is_temp_name(name, prefix):
                    os.unlink(path)
                elif (
                    _is_temp_name(name, cache_prefix) and time.time() - os.stat(path).st_mtime > 60
                ):
                    os.unlink(path)  # an old one only: a listing may be writing a new one
            except OSError:
                pass

    # -- undo --------------------------------------------------------------------------

    def undo(self) -> tuple[Document, Document]:
        """Restore the content before the last change; returns (undone, restored).

        Undo twice in a row does not redo: the restored state has no ``.prev``.
        """
        from .errors import StateError

        with self.lock() as lock_fd:
            self._clean_temp_files()
            _record_stamp(lock_fd, b"")
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


STAMP_FORMAT = b"proc-layout-1"


def _stamp(st: os.stat_result) -> bytes:
    """What identifies one version of the file: device, inode, size, mtime."""
    return b"%s %d %d %d %d\n" % (STAMP_FORMAT, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _record_stamp(lock_fd: int, stamp: bytes) -> None:
    try:
        os.ftruncate(lock_fd, 0)
        if stamp:
            os.pwrite(lock_fd, stamp, 0)
    except OSError:
        pass  # without a stamp the next command validates in full: slower, never wrong


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
