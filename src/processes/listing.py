"""Fast full listings (``ls --json``, ``ls --jsonl``) of a store proc wrote.

A listing prints every record plus six derived fields. For a *stopped* record
those fields never change, so they are kept in a derived cache beside the
store, ``<store>.ls``: one line per stopped record with its UID, a CRC-32 of its
stored line, its start time and the bytes to append to it. A listing then
splices each stored line with its cached suffix without decoding it. An entry
whose CRC does not match the line (the record changed) is recomputed, so the
cache can be stale, missing or deleted at any time and the output is the same;
it is rewritten whenever it gained or lost entries. It is written atomically
but without the store's lock: every entry is correct on its own.
"""

from __future__ import annotations

import os
import zlib

from . import codec
from .timeline import enrich

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .store import Document, Store

MAGIC = b"proc-ls-1\n"
DERIVED = ("layer", "state", "started_at", "ended_at", "duration_s", "active_s")
Entry = tuple[int, int, bytes]  # (crc of the stored line, start time, suffix)


def cache_path(store: Store) -> str:
    """Where the cache of ``store`` lives."""
    return store.real + ".ls"


def _load(path: str) -> dict[bytes, Entry]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}
    if not data.startswith(MAGIC):
        return {}
    out: dict[bytes, Entry] = {}
    try:
        for line in data[len(MAGIC) :].split(b"\n"):
            if line:
                uid, crc, start, suffix = line.split(b"\t", 3)
                out[uid] = (int(crc), int(start), suffix)
    except ValueError:
        return {}  # a damaged cache is no cache
    return out


def _save(path: str, entries: dict[bytes, Entry]) -> None:
    body = b"".join(
        b"%s\t%d\t%d\t%s\n" % (uid, crc, start, suffix)
        for uid, (crc, start, suffix) in entries.items()
    )
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + body)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


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
    cache = _load(path)
    keep: dict[bytes, Entry] = {}
    out: list[bytes] = []
    keys: list[tuple[int, bytes]] = []
    crc32 = zlib.crc32
    for line in stored:
        colon = line.index(b'":', 1)
        uid = line[1:colon]
        value = line[colon + 2 :]
        crc = crc32(value)
        entry = cache.get(uid)
        if entry is not None and entry[0] == crc:
            keep[uid] = entry
            keys.append((entry[1], uid))
            out.append(value[:-1] + entry[2])
            continue
        rec = codec.loads_exact(value)
        full = enrich(rec, now)
        start = rec["timeline"]["initialized"]
        keys.append((start, uid))
        if any(k in rec for k in DERIVED):
            # A stored key with a derived name: the derived value replaces it.
            out.append(codec.dumps_compact(full))
            continue
        suffix = b"," + codec.dumps_compact({k: full[k] for k in DERIVED})[1:]
        out.append(value[:-1] + suffix)
        term = rec["timeline"]["terminated"]
        if term != -1 and term <= now:  # its derived fields are final
            keep[uid] = (crc, start, suffix)
    if keep.keys() != cache.keys():
        _save(path, keep)
    ordered = all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1))
    if not ordered:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        out = [out[i] for i in order]
    if limit is not None:
        out = out[-limit:] if limit > 0 else []
    return out
