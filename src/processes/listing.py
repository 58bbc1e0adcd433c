"""Fast full listings (``ls --json``, ``ls --jsonl``) of a store proc wrote.

A listing prints every record plus six derived fields. For a *stopped* record
those fields never change, so they are kept in a derived cache beside the
store, ``<store>.ls``: for each stopped record, by UID, a CRC-32 of its stored
line, its start time and the bytes to append to it (in :mod:`marshal` form,
which loads 100,000 entries in milliseconds; another Python version's cache is
simply ignored). A listing then
splices each stored line with its cached suffix without decoding it. An entry
whose CRC does not match the line (the record changed) is recomputed, so the
cache can be stale, missing or deleted at any time and the output is the same;
it is rewritten whenever it gained or lost entries. It is written atomically
but without the store's lock: every entry is correct on its own.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib

from . import codec
from .timeline import enrich

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .store import Document, Store

MAGIC = b"proc-ls-3 %d.%d\n" % sys.version_info[:2]
DERIVED = ("layer", "state", "started_at", "ended_at", "duration_s", "active_s")
Entry = tuple[int, int, bytes]  # (crc of the stored line, start time, suffix)


def cache_path(store: Store) -> str:
    """Where the cache of ``store`` lives."""
    return store.real + ".ls"


MAX_CHUNKS = 32
"""Appended chunks before the cache is rewritten as one."""


def _load(path: str) -> tuple[dict[bytes, Entry], int, bool]:
    """``(entries, chunks, damaged)``. The file is MAGIC, then chunks of
    ``"<crc32> <length>\\n" + marshal payload``; later chunks add entries."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}, 0, False
    if not data.startswith(MAGIC):
        return {}, 0, bool(data)
    out: dict[bytes, Entry] = {}
    pos, chunks = len(MAGIC), 0
    while pos < len(data):
        # Each chunk's CRC is checked first: a damaged chunk never reaches
        # marshal, which is not meant to read damaged data.
        end = data.find(b"\n", pos, pos + 32)
        if end < 0:
            return out, chunks, True
        try:
            crc, length = (
                int(x, 16 if i == 0 else 10) for i, x in enumerate(data[pos:end].split())
            )
        except ValueError:
            return out, chunks, True
        payload = data[end + 1 : end + 1 + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            return out, chunks, True
        try:
            part = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return out, chunks, True
        if not isinstance(part, dict):
            return out, chunks, True
        out.update(part)
        chunks += 1
        pos = end + 1 + length
    return out, chunks, False


def _chunk(entries: dict[bytes, Entry]) -> bytes:
    payload = marshal.dumps(entries)
    return b"%08x %d\n" % (zlib.crc32(payload), len(payload)) + payload


def _save(path: str, entries: dict[bytes, Entry]) -> None:
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + _chunk(entries))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _append(path: str, entries: dict[bytes, Entry]) -> None:
    # One write of one small chunk with O_APPEND: concurrent listings cannot
    # interleave inside it, and a chunk lost to a concurrent rewrite is only
    # computed again next time.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.write(fd, _chunk(entries))
    except OSError:
        pass
    finally:
        os.close(fd)


def lines(doc: Document, store: Store, now: int, limit: int | None = None) -> list[bytes] | None:
    """Every record as one compact JSON object with its derived fields, in start
    order (the latest ``limit`` when given); None when the store was not read
    lazily (then the general path is as fast)."""
    layout = doc._layout
    if layout is None or doc.changed:
        return None
    region = layout.region
    stored = region.split(b",\n") if region else []
    path = cache_path(store)
    cache, chunks, damaged = _load(path)
    try:
        out, starts, uids, fresh, hits = _splice(stored, cache, now)
    except (TypeError, ValueError):  # an entry of the wrong shape: drop the cache
        cache, damaged = {}, True
        out, starts, uids, fresh, hits = _splice(stored, cache, now)
    if damaged or hits != len(cache) or chunks >= MAX_CHUNKS or (fresh and not chunks):
        # Entries for records gone or changed, a damaged file, or too many
        # chunks: rewrite it with the live entries only.
        keep = {u: cache[u] for u in uids if u in cache and u not in fresh}
        keep.update(fresh)
        _save(path, keep)
    elif fresh:  # the common case after a stop: every entry still good, a few new
        _append(path, fresh)
    # Stored lines are in start order unless a process was started with --at in
    # the past; checking that is much cheaper than sorting.
    in_order = (
        starts == sorted(starts)
        and (
            len(set(starts)) == len(starts)  # no two in the same second: no ties to check
            or not any(
                a == b and ua > ub
                for a, b, ua, ub in zip(starts, starts[1:], uids, uids[1:], strict=False)
            )
        )
    )
    if not in_order:
        order = sorted(range(len(out)), key=lambda i: (starts[i], uids[i]))
        out = [out[i] for i in order]
    if limit is not None:
        out = out[-limit:] if limit > 0 else []
    return out


def _splice(
    stored: list[bytes], cache: dict[bytes, Entry], now: int
) -> tuple[list[bytes], list[int], list[bytes], dict[bytes, Entry], int]:
    out: list[bytes] = []
    starts: list[int] = []
    uids: list[bytes] = []
    fresh: dict[bytes, Entry] = {}
    hits = 0
    crc32 = zlib.crc32
    get = cache.get
    for line in stored:
        colon = line.index(b'":', 1)
        uid = line[1:colon]
        value = line[colon + 2 :]
        uids.append(uid)
        entry = get(uid)
        if entry is not None:
            crc, start, suffix = entry
            if crc == crc32(value):
                hits += 1
                starts.append(start)
                out.append(value[:-1] + suffix)
                continue
        rec = codec.loads_exact(value)
        full = enrich(rec, now)
        start = rec["timeline"]["initialized"]
        starts.append(start)
        if any(k in rec for k in DERIVED):
            # A stored key with a derived name: the derived value replaces it.
            out.append(codec.dumps_compact(full))
            continue
        suffix = b"," + codec.dumps_compact({k: full[k] for k in DERIVED})[1:]
        out.append(value[:-1] + suffix)
        term = rec["timeline"]["terminated"]
        if term != -1 and term <= now:  # its derived fields are final
            fresh[uid] = (crc32(value), start, suffix)
    return out, starts, uids, fresh, hits
