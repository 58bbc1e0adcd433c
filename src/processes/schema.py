"""Validation of a store document: types and invariants, each fault with its JSON path.

The store format is the seed's ``{"processes": {uid: record}}`` plus a top-level
``"mindmap"``. Unknown keys anywhere are allowed (and preserved by the store).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    Fault = tuple[str, str]

MAX_DEPTH = 32
"""Deepest disruption nesting accepted (a process is depth 0)."""

_HEX = frozenset("0123456789abcdef")


def is_uid(value: object) -> bool:
    """``LAYER-HEX``: a layer without leading zeros, at least four lowercase hex digits."""
    if not isinstance(value, str):
        return False
    layer, sep, digits = value.partition("-")
    return (
        bool(sep)
        and layer.isascii()
        and layer.isdigit()
        and (layer == "0" or layer[0] != "0")
        and len(digits) >= 4
        and _HEX.issuperset(digits)
    )


def _key(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def key_path(path: str, key: str) -> str:
    """The JSON path of ``key`` inside the object at ``path``."""
    return _key(path, key)


def _is_int(value: Any) -> bool:
    # bool is an int subclass; a float (even 3.0) or NaN is not a time.
    return type(value) is int


def _timeline(tl: Any, where: str, depth: int, parent: tuple[int, int] | None) -> Iterator[Fault]:
    if not isinstance(tl, dict):
        yield where, f"expected an object (a timeline), found {_kind(tl)}"
        return
    if depth > MAX_DEPTH:
        yield where, f"disruptions nested deeper than {MAX_DEPTH} levels"
        return
    init: Any = tl.get("initialized")
    term: Any = tl.get("terminated")
    ok = True
    if not _is_int(init):
        yield _key(where, "initialized"), _time_problem(init)
        ok = False
    elif init < 0:
        yield _key(where, "initialized"), f"a time must be >= 0, found {init}"
        ok = False
    if not _is_int(term):
        yield _key(where, "terminated"), _time_problem(term)
        ok = False
    elif term < -1:
        yield _key(where, "terminated"), f"a time must be >= 0 or -1 (ongoing), found {term}"
        ok = False
    if ok and term != -1 and term < init:
        yield where, f"ends ({term}) before it starts ({init})"
    if ok and parent is not None:
        p_init, p_term = parent
        if init < p_init:
            yield where, f"starts ({init}) before the timeline it interrupts ({p_init})"
        if p_term != -1 and (term == -1 or term > p_term):
            shown = "is still open" if term == -1 else f"ends ({term})"
            yield where, f"{shown} after the timeline it interrupts ends ({p_term})"
    dis = tl.get("disruptions", [])
    if not isinstance(dis, list):
        yield _key(where, "disruptions"), f"expected a list, found {_kind(dis)}"
        return
    open_count = 0
    me: tuple[int, int] | None = (init, term) if ok else None
    for i, item in enumerate(dis):
        iw = f"{_key(where, 'disruptions')}[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            yield iw, "expected an object with exactly one key (the disruption's type)"
            continue
        ((kind, sub),) = item.items()
        sw = _key(iw, kind)
        if not kind:
            yield iw, "a disruption's type must not be empty"
        if isinstance(sub, dict) and sub.get("terminated") == -1:
            open_count += 1
            if open_count == 2:
                yield sw, "a second open disruption at the same level (at most one may be open)"
        yield from _timeline(sub, sw, depth + 1, me)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"a number with a fraction ({value!r})"
    return {dict: "an object", list: "a list", str: "a string", int: "a number"}.get(
        type(value), type(value).__name__
    )


def _time_problem(value: Any) -> str:
    if value is None:
        return "missing (a time is an integer count of epoch seconds)"
    return f"expected an integer count of epoch seconds, found {_kind(value)}"


def record_faults(uid: Any, rec: Any, where: str) -> Iterator[Fault]:
    """Every fault of one record stored under key ``uid``."""
    if not isinstance(rec, dict):
        yield where, f"expected an object (a process record), found {_kind(rec)}"
        return
    if not is_uid(uid):
        yield where, f"key {uid!r} is not a process UID (LAYER-HEX, at least 4 hex digits)"
    r_uid = rec.get("uid")
    if r_uid != uid:
        yield _key(where, "uid"), f"the record's uid {r_uid!r} differs from its key {uid!r}"
    name = rec.get("name")
    if not isinstance(name, str):
        yield _key(where, "name"), f"expected a string, found {_kind(name)}"
    if "timeline" not in rec:
        yield _key(where, "timeline"), "missing"
    else:
        yield from _timeline(rec["timeline"], _key(where, "timeline"), 0, None)


def document_faults(doc: Any) -> Iterator[Fault]:
    """Every fault of a whole store document, in document order."""
    if not isinstance(doc, dict):
        yield "$", f"expected an object at the top level, found {_kind(doc)}"
        return
    procs = doc.get("processes", {})
    if not isinstance(procs, dict):
        yield "$.processes", f"expected an object keyed by UID, found {_kind(procs)}"
    else:
        for uid, rec in procs.items():
            yield from record_faults(uid, rec, _key("$.processes", uid))
    mm = doc.get("mindmap", {})
    if not isinstance(mm, dict):
        yield "$.mindmap", f"expected an object {{node: [nodes]}}, found {_kind(mm)}"
    else:
        for node, edges in mm.items():
            nw = _key("$.mindmap", node)
            if not isinstance(edges, list):
                yield nw, f"expected a list of node names, found {_kind(edges)}"
                continue
            for i, target in enumerate(edges):
                if not isinstance(target, str):
                    yield f"{nw}[{i}]", f"expected a node name (string), found {_kind(target)}"


def first_fault(doc: Any) -> Fault | None:
    """The first fault of a document, or None when it is valid."""
    return next(document_faults(doc), None)
