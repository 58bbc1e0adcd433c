"""``proc check``: every fault of a store file, duplicate keys included. Never writes.

A plain JSON parser keeps the last of two equal keys and hides the first; here
each object remembers the keys it saw twice, and the walk reports them with
their JSON path, next to every fault :mod:`processes.schema` finds.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import codec, schema
from .store import Store

Fault = tuple[str, str]


class _Object(dict[str, Any]):
    """A decoded JSON object that knows which of its keys appeared more than once."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    dups: list[str] = []
    for key, value in pairs:
        if key in obj and key not in dups:
            dups.append(key)
        obj[key] = value
    obj.duplicates = dups
    return obj


def _duplicate_faults(value: Any, where: str) -> list[Fault]:
    out: list[Fault] = []
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Object):
            for key in node.duplicates:
                out.append(
                    (schema.key_path(path, key), "duplicate key: an earlier value is hidden")
                )
            stack.extend(
                (sub, schema.key_path(path, key)) for key, sub in reversed(list(node.items()))
            )
        elif isinstance(node, list):
            stack.extend((sub, f"{path}[{i}]") for i, sub in reversed(list(enumerate(node))))
    return out


def _decode_keeping_duplicates(data: bytes) -> Any:
    # A large store is decoded by orjson, which reads 1024 levels of nesting; the
    # stdlib parser stops short of that at the default recursion limit. Anything
    # that loaded must be readable here too.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 2000)
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_pairs)
    finally:
        sys.setrecursionlimit(limit)


def faults_in_bytes(data: bytes) -> list[Fault]:
    """Every fault of a store file's content, in document order where possible."""
    try:
        plain = codec.loads(data)  # the same checks as loading: BOM, empty, malformed
    except codec.DecodeError as exc:
        return [("$", str(exc))]
    try:
        doc = _decode_keeping_duplicates(data)
    except RecursionError:
        return [("$", "malformed JSON: nested too deeply")]
    faults = _duplicate_faults(doc, "$")
    # The schema sees plain dicts, as loading does: it names a value's kind by its
    # exact type, and would call an object "_Object".
    faults.extend(schema.document_faults(plain))
    return faults


def check(store: Store) -> list[Fault]:
    """Every fault of the store (an absent store has none); raises StoreError if unreadable."""
    data = store.read_bytes()
    if data is None:
        return []
    return faults_in_bytes(data)
