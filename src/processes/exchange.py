"""Moving history between stores: ``proc export`` and ``proc import``.

Export writes the seed's format (``processes`` and ``mindmap``) from a
consistent copy taken under the lock. Import merges seed-format files in one
atomic change: an absent UID is added; a record identical to the one stored under
its UID is skipped; a record whose UID is taken by a different record is added
under a new UID, so nothing is overwritten unless ``replace`` is asked -- unless
it is already stored under another UID of its layer (re-keyed by an earlier
import), when it is skipped. Mindmap edges are merged: nodes keep the file's
order and edges are appended without duplicates. Every file is validated before
anything changes.
"""

from __future__ import annotations

import sys
from typing import Any

from . import codec, schema
from .errors import StoreError, UsageError
from .store import Store
from .uid import draw_uid


def export_document(store: Store) -> dict[str, Any]:
    """``{"processes": ..., "mindmap": ...}`` read under the lock."""
    with store.lock():
        doc = store.read()
    return {"processes": doc.data.get("processes", {}), "mindmap": doc.data.get("mindmap", {})}


def export(store: Store, output: str | None = None) -> int:
    """Write the export to ``output`` (atomically) or to stdout; returns the record count."""
    if output == "":
        # Store("") would mean the default store: never write an export over it.
        raise UsageError("--output needs a file name (or - for stdout)")
    data = export_document(store)
    blob = codec.dumps(data)
    if output is None or output == "-":
        sys.stdout.buffer.write(blob)
        sys.stdout.flush()
    else:
        Store(output)._replace(blob, keep_previous=False)
    return len(data["processes"])


def read_import(path: str) -> dict[str, Any]:
    """A validated seed-format document from ``path`` (``-`` for stdin)."""
    if path == "":
        # Store("") would mean the default store, not a file of that name.
        raise UsageError("an empty file name was given to import (- for stdin)")
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        stored = Store(path).read_bytes()
        if stored is None:
            raise StoreError(path, "no such file")
        data = stored
    try:
        obj = codec.loads(data)
    except codec.DecodeError as exc:
        raise StoreError(path, str(exc)) from None
    fault = schema.first_fault(obj)
    if fault is not None:
        raise StoreError(path, fault[1], fault[0])
    result: dict[str, Any] = obj
    return result


def _fingerprint(rec: dict[str, Any]) -> bytes:
    # The record without its UID's hex part: the same process re-keyed on its layer.
    import json

    body = {k: v for k, v in rec.items() if k != "uid"}
    return json.dumps([str(rec["uid"]).partition("-")[0], body], sort_keys=True).encode()


class ImportResult:
    """How many records an import added, skipped, re-keyed and replaced."""

    def __init__(self) -> None:
        self.added = 0
        self.skipped = 0
        self.rekeyed: list[tuple[str, str]] = []
        self.replaced = 0
        self.edges = 0

    def describe(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.skipped} skipped (already there)",
            f"{len(self.rekeyed)} re-keyed (UID taken by another record)",
        ]
        if self.replaced:
            parts.append(f"{self.replaced} replaced")
        parts.append(f"{self.edges} new mindmap edge{'s' if self.edges != 1 else ''}")
        return ", ".join(parts)


def import_files(store: Store, paths: list[str], replace: bool = False) -> ImportResult:
    """Merge the files into the store in one atomic change (see the module doc)."""
    docs = [read_import(p) for p in paths]  # all validated before the lock is taken
    result = ImportResult()
    with store.transaction() as doc:
        procs = doc.processes
        seen = {_fingerprint(r) for r in procs.values()}
        for incoming in docs:
            for uid, rec in incoming.get("processes", {}).items():
                fp = _fingerprint(rec)
                # Only a taken UID is looked up by content: an absent UID is always
                # added, even when another process has the same name and times.
                if uid in procs and (procs[uid] == rec or (fp in seen and not replace)):
                    result.skipped += 1
                    continue
                if uid in procs and not replace:
                    layer = int(uid.partition("-")[0])
                    new_uid = draw_uid(layer, procs.__contains__)
                    rec = dict(rec, uid=new_uid)
                    result.rekeyed.append((uid, new_uid))
                    uid = new_uid
                elif uid in procs:
                    result.replaced += 1
                else:
                    result.added += 1
                doc.put(rec)
                seen.add(fp)
            # Nodes first, in the file's order, then the edges: creating an edge's
            # target as a node on the way would reorder (or add to) the map, and an
            # export imported into an empty store would no longer export the same.
            mm = doc.mindmap
            theirs = incoming.get("mindmap", {})
            for node in theirs:
                if node not in mm:
                    mm[node] = []
                    doc.touch()
            for node, edges in theirs.items():
                mine = mm[node]
                for target in edges:
                    if target not in mine:
                        mine.append(target)
                        result.edges += 1
                        doc.touch()
    return result
