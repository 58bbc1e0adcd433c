"""Moving history between stores: ``proc export`` and ``proc import``.

Export writes the seed's format (``processes`` and ``mindmap``) from a
consistent copy taken under the lock. Import merges seed-format files in one
atomic change: an absent UID is added; a record identical to one already stored
(under any UID) is skipped; a record whose UID is taken by a different record is
added under a new UID, so nothing is overwritten unless ``replace`` is asked.
Mindmap edges are merged. Every file is validated before anything changes.
"""

from __future__ import annotations

import sys
from typing import Any

from . import codec, schema
from .errors import StoreError
from .model import Mindmap
from .store import Store
from .uid import draw_uid


def export_document(store: Store) -> dict[str, Any]:
    """``{"processes": ..., "mindmap": ...}`` read under the lock."""
    with store.lock():
        doc = store.read()
    return {"processes": doc.data.get("processes", {}), "mindmap": doc.data.get("mindmap", {})}


def export(store: Store, output: str | None = None) -> int:
    """Write the export to ``output`` (atomically) or to stdout; returns the record count."""
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
    import json

    return json.dumps({k: v for k, v in rec.items() if k != "uid"}, sort_keys=True).encode()


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
                if uid in procs and procs[uid] == rec or (fp in seen and not replace):
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
            mm = Mindmap(doc.mindmap)
            for node, edges in incoming.get("mindmap", {}).items():
                if node not in mm.map:
                    mm.map[node] = []
                    doc.touch()
                for target in edges:
                    if not mm.connected(node, target):
                        mm.connect(node, target, False)
                        result.edges += 1
                        doc.touch()
    return result
