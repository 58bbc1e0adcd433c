"""The operations behind the commands, each one call on a :class:`~processes.store.Store`.

Records are plain dicts (see :mod:`processes.timeline`). Every change runs as one
locked read-modify-write; every failure is a :mod:`processes.errors` exception.
"""

from __future__ import annotations

import time
import unicodedata

from . import timeline as tlm
from .errors import (
    AlreadyActiveError,
    AmbiguousTargetError,
    LayerBusyError,
    NotFoundError,
    StateError,
    TimeOrderError,
    UsageError,
)
from .store import Document, Store
from .uid import draw_uid

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

if TYPE_CHECKING:
    Record = dict[str, Any]
MAX_NAME = 200
"""Longest process name or disruption type, in characters."""


# -- checks ------------------------------------------------------------------------------


def check_name(name: str, what: str = "name") -> str:
    """A name is 1..200 printable characters without control characters or surrogates."""
    if not name or not name.strip():
        raise UsageError(f"the {what} must not be empty")
    if len(name) > MAX_NAME:
        raise UsageError(f"the {what} has {len(name)} characters; at most {MAX_NAME} are accepted")
    for ch in name:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp"):
            kind = "a lone surrogate" if cat == "Cs" else "a control character or line break"
            raise UsageError(
                f"the {what} contains {kind} (U+{ord(ch):04X}); "
                "names are printable text on one line"
            )
    return name


def check_layer(layer: int) -> int:
    """A layer is an integer >= 0."""
    if type(layer) is not int or layer < 0:
        raise UsageError(f"invalid layer {layer!r}; a layer is an integer >= 0")
    return layer


def fmt_time(ts: int) -> str:
    """Local time, for messages: ``2026-12-04 09:30:00``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def check_time(at: int | None, now: int, after: int | None = None, what: str = "time") -> int:
    """``at`` (default ``now``), refused when in the future or before ``after``."""
    if at is None:
        at = now
    if at < 0 or at > now or (after is not None and at < after):
        from .timespec import ACCEPTED  # only on the error path: it imports re
    if at < 0:
        raise TimeOrderError(
            f"the {what} lies before 1970-01-01, the start of epoch time; {ACCEPTED}"
        )
    if at > now:
        raise TimeOrderError(
            f"the {what} {fmt_time(at)} is in the future (now: {fmt_time(now)}); "
            f"a time must be now or earlier; {ACCEPTED}"
        )
    if after is not None and at < after:
        raise TimeOrderError(
            f"the {what} {fmt_time(at)} comes before {fmt_time(after)}, "
            f"the last event it must follow; {ACCEPTED}"
        )
    return at


# -- selection ---------------------------------------------------------------------------


def _label(rec: Record) -> str:
    started = fmt_time(rec["timeline"]["initialized"])
    return f"{rec['uid']} ({rec['name']}, {tlm.state(rec)}, started {started})"


def resolve(
    doc: Document,
    target: str | None,
    want: Callable[[Record], bool] = tlm.is_active,
    what: str = "active",
    latest_by_name: bool = False,
) -> Record:
    """The record a target means: a UID; else the one ``want`` process of that name;
    else (no target) the one ``want`` process.

    ``want`` only ever sees active records. With ``latest_by_name``, a name
    with no ``want`` process falls back to the latest process of that name (no
    target: the latest process). Zero or several matches raise an error that
    lists the candidates. Only the active records are decoded unless needed.
    """
    if target is not None:
        found = doc.get(target)
        if found is not None:
            return found
    actives = doc.active()
    matches = [r for r in actives if (target is None or r["name"] == target) and want(r)]
    if len(matches) == 1:
        return matches[0]
    pool: list[Record] = []
    if not matches and (latest_by_name or target is not None):
        pool = [r for r in doc.processes.values() if target is None or r["name"] == target]
    if not matches and latest_by_name and pool:
        return max(pool, key=lambda r: (r["timeline"]["initialized"], r["uid"]))
    subject = "process" if target is None else f"process named {target!r}"
    if not matches:
        hint = ""
        others = actives if target is None else pool
        if others:
            hint = "; candidates: " + ", ".join(_label(r) for r in _by_start(others)[:20])
        elif target is not None:
            hint = " (no UID or name matches)"
        raise NotFoundError(f"no {what} {subject}{hint}")
    listed = ", ".join(_label(r) for r in _by_start(matches))
    raise AmbiguousTargetError(
        f"{len(matches)} {what} {subject}es match; name one by UID: {listed}"
        if target is None
        else f"{len(matches)} {what} processes are named {target!r}; name one by UID: {listed}",
        _by_start(matches),
    )


def _start_key(r: Record) -> tuple[int, str]:
    return r["timeline"]["initialized"], r["uid"]


def _by_start(records: Iterable[Record]) -> list[Record]:
    out = list(records)
    # Records are mostly stored in start order already; checking that is
    # cheaper than sorting 100,000 keys.
    prev: tuple[int, str] | None = None
    for r in out:
        key = (r["timeline"]["initialized"], r["uid"])
        if prev is not None and key < prev:
            out.sort(key=_start_key)
            return out
        prev = key
    return out


class Filter:
    """What ``ls`` selects. ``state`` is running, paused, stopped or active."""

    def __init__(
        self,
        state: str | None = None,
        name: str | None = None,
        layer: int | None = None,
        since: int | None = None,
        until: int | None = None,
        limit: int | None = None,
    ) -> None:
        self.state = state
        self.name = name
        self.layer = layer
        self.since = since
        self.until = until
        self.limit = limit


def select(doc: Document, flt: Filter | None = None, now: int | None = None) -> list[Record]:
    """Records matching ``flt``, ordered by start time (then UID).

    ``since``/``until`` keep processes whose life overlaps the window. ``limit``
    keeps the latest N (still in start order).
    """
    flt = flt or Filter()
    now = int(time.time()) if now is None else now
    records = doc.processes.values()
    if not (flt.name or flt.layer is not None or flt.state or flt.since or flt.until):
        return _limit(_by_start(records), flt.limit)  # no filter: skip the per-record tests
    out = []
    for rec in records:
        if flt.name is not None and rec["name"] != flt.name:
            continue
        if flt.layer is not None and tlm.layer_of(rec["uid"]) != flt.layer:
            continue
        if flt.state is not None:
            st = tlm.state(rec)
            if flt.state == "active" and st == "stopped":
                continue
            if flt.state != "active" and st != flt.state:
                continue
        tl = rec["timeline"]
        end = now if tl["terminated"] == tlm.ONGOING else tl["terminated"]
        if flt.since is not None and end < flt.since:
            continue
        if flt.until is not None and tl["initialized"] > flt.until:
            continue
        out.append(rec)
    return _limit(_by_start(out), flt.limit)


def _limit(records: list[Record], limit: int | None) -> list[Record]:
    if limit is None:
        return records
    return records[-limit:] if limit > 0 else []


def active(doc: Document) -> list[Record]:
    """The running and paused processes, by start time."""
    return _by_start(doc.active())


# -- changes -----------------------------------------------------------------------------


class Started:
    """What ``start`` did: the new record, and the one it stopped when switching."""

    def __init__(self, record: Record, stopped: Record | None = None) -> None:
        self.record = record
        self.stopped = stopped


def start(
    store: Store,
    name: str,
    layer: int = 0,
    at: int | None = None,
    switch: bool = False,
    extra: dict[str, Any] | None = None,
    now: int | None = None,
    unless_running: bool = False,
) -> Started:
    """Start a process named ``name`` on ``layer`` at ``at`` (default now).

    On a layer >= 1 with an active process, raises :class:`LayerBusyError` unless
    ``switch``, which stops that process at the same instant. A start in the
    past that would overlap a stopped process of the layer is refused too.
    With ``unless_running``, raises :class:`AlreadyActiveError` when a process
    named ``name`` is active (checked under the same lock as the start).
    ``extra`` keys are added to the new record.
    """
    check_name(name)
    check_layer(layer)
    now = int(time.time()) if now is None else now
    when = check_time(at, now, what="start time")
    with store.transaction() as doc:
        if unless_running:
            same = [r for r in doc.active() if r["name"] == name]
            if same:
                raise AlreadyActiveError(
                    f"not started: {_label(_by_start(same)[-1])} is still active", same
                )
        stopped = None
        if layer >= 1:
            busy = [r for r in doc.active() if tlm.layer_of(r["uid"]) == layer]
            if busy and not switch:
                cur = busy[0]
                raise LayerBusyError(
                    f"layer {layer} is busy with {_label(cur)}; stop it first or use --switch",
                    cur,
                )
            # Only a start in the past can overlap a stopped process (no stored
            # time lies in the future); checking it decodes the whole layer.
            later = []
            if when < now:
                later = [
                    r
                    for r in doc.processes.values()
                    if tlm.layer_of(r["uid"]) == layer
                    and not tlm.is_active(r)
                    and r["timeline"]["terminated"] > when
                ]
            if later:
                cur = _by_start(later)[-1]
                raise LayerBusyError(
                    f"layer {layer} had {_label(cur)} until "
                    f"{fmt_time(cur['timeline']['terminated'])}; a start at {fmt_time(when)} "
                    "would overlap it",
                    cur,
                )
            for cur in busy:
                _stop_record(cur, when, now)
                doc.put(cur)
                stopped = cur
        uid = draw_uid(layer, doc.__contains__)
        rec: Record = {
            "name": name,
            "uid": uid,
            "timeline": {"initialized": when, "terminated": tlm.ONGOING, "disruptions": []},
        }
        if extra:
            for key, value in extra.items():
                rec.setdefault(key, value)
        doc.put(rec)
        return Started(rec, stopped)


def _stop_record(rec: Record, at: int, now: int) -> None:
    tl = rec["timeline"]
    check_time(at, now, after=tlm.latest_event(tl), what=f"stop time of {rec['uid']}")
    tlm.close_open(tl, at)
    tl["terminated"] = at


def _change(
    store: Store,
    target: str | None,
    want: Callable[[Record], bool],
    what: str,
    apply: Callable[[Record], None],
) -> Record:
    with store.transaction() as doc:
        rec = resolve(doc, target, want, what)
        apply(rec)
        doc.put(rec)
        return rec


_IDENTITY = frozenset({"name", "uid", "timeline"})
"""Record keys an ``extra`` argument never replaces."""


def stop(
    store: Store,
    target: str | None = None,
    at: int | None = None,
    now: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Record:
    """Stop a process, closing its open disruptions at the same time.

    ``extra`` keys are set on the record (``proc run`` records its exit status);
    like in :func:`start`, they never replace ``name``, ``uid`` or ``timeline``.
    """
    now = int(time.time()) if now is None else now

    def apply(rec: Record) -> None:
        if not tlm.is_active(rec):
            raise StateError(f"{_label(rec)} is already stopped")
        _stop_record(rec, check_time(at, now, what="stop time"), now)
        if extra:
            rec.update((k, v) for k, v in extra.items() if k not in _IDENTITY)

    return _change(store, target, tlm.is_active, "active", apply)


def pause(
    store: Store,
    target: str | None = None,
    kind: str = "pause",
    at: int | None = None,
    now: int | None = None,
) -> Record:
    """Open a disruption of type ``kind``; a paused process gets a nested one."""
    check_name(kind, "disruption type")
    now = int(time.time()) if now is None else now

    def apply(rec: Record) -> None:
        if not tlm.is_active(rec):
            raise StateError(f"{_label(rec)} is stopped; only an active process can be paused")
        tl = rec["timeline"]
        when = check_time(at, now, after=tlm.latest_event(tl), what="pause time")
        tlm.add_pause(tl, kind, when)

    return _change(store, target, tlm.is_active, "active", apply)


def _is_paused(rec: Record) -> bool:
    return tlm.state(rec) == "paused"


def resume(
    store: Store, target: str | None = None, at: int | None = None, now: int | None = None
) -> Record:
    """Close the innermost open disruption of a paused process."""
    now = int(time.time()) if now is None else now

    def apply(rec: Record) -> None:
        if not _is_paused(rec):
            raise StateError(f"{_label(rec)} is not paused")
        tl = rec["timeline"]
        when = check_time(at, now, after=tlm.latest_event(tl), what="resume time")
        tlm.close_innermost(tl, when)

    return _change(store, target, _is_paused, "paused", apply)


def remove(store: Store, uids: list[str]) -> list[Record]:
    """Remove the records with these UIDs, all or none; unknown UIDs raise NotFoundError."""
    with store.transaction() as doc:
        missing = [u for u in uids if u not in doc.processes]
        if missing:
            raise NotFoundError("no process with UID " + ", ".join(missing) + "; nothing removed")
        gone = [doc.processes[u] for u in dict.fromkeys(uids)]
        for rec in gone:
            doc.delete(rec["uid"])
        return gone


def clear(store: Store) -> int:
    """Remove every record (the mindmap stays); returns how many there were."""
    with store.transaction() as doc:
        return doc.clear()


def link(
    store: Store, src: str, node: str, direction: bool | None = False
) -> list[tuple[str, str]]:
    """Add mindmap edges like :meth:`Mindmap.connect`; returns the edges that were new."""
    from .model import Mindmap, _directed

    check_name(src, "node name")
    check_name(node, "node name")
    with store.transaction() as doc:
        mm = Mindmap(doc.mindmap)
        new = [(a, b) for a, b in _directed(src, node, direction) if not mm.connected(a, b)]
        if new or src not in mm.map or node not in mm.map:
            mm.connect(src, node, direction)
            doc.touch()
        return new


def unlink(
    store: Store, src: str, node: str, direction: bool | None = False
) -> list[tuple[str, str]]:
    """Remove mindmap edges; returns those removed. NotFoundError when none existed."""
    from .model import Mindmap, _directed

    with store.transaction() as doc:
        mm = Mindmap(doc.mindmap)
        there = [(a, b) for a, b in _directed(src, node, direction) if mm.connected(a, b)]
        if not there:
            wanted = " and ".join(f"{a} -> {b}" for a, b in _directed(src, node, direction))
            raise NotFoundError(f"no edge {wanted} in the mindmap")
        mm.disconnect(src, node, direction)
        doc.touch()
        return there


def latest_state(doc: Document) -> dict[str, str]:
    """For each process name, the state of its latest process."""
    best: dict[str, Record] = {}
    for rec in doc.processes.values():
        cur = best.get(rec["name"])
        if cur is None or rec["timeline"]["initialized"] >= cur["timeline"]["initialized"]:
            best[rec["name"]] = rec
    return {name: tlm.state(rec) for name, rec in best.items()}


class Undone:
    """What ``undo`` reverted: UIDs that the last change added, removed or changed."""

    def __init__(
        self,
        added: list[str],
        removed: list[str],
        changed: list[str],
        mindmap_changed: bool,
        other_changed: bool,
    ) -> None:
        self.added = added
        self.removed = removed
        self.changed = changed
        self.mindmap_changed = mindmap_changed
        self.other_changed = other_changed

    def describe(self) -> str:
        parts = []
        for verb, uids in (
            ("removed the added", self.added),
            ("restored the removed", self.removed),
            ("restored the changed", self.changed),
        ):
            if uids:
                shown = ", ".join(uids[:10]) + (
                    f" and {len(uids) - 10} more" if len(uids) > 10 else ""
                )
                parts.append(f"{verb} {shown}")
        if self.mindmap_changed:
            parts.append("restored the mindmap")
        if self.other_changed and not parts:
            parts.append("restored the file's other content")
        return (
            "; ".join(parts)
            if parts
            else "restored the previous content (no difference in records)"
        )


def undo(store: Store) -> Undone:
    """Restore the store as it was before its last change (one level; no redo)."""
    current, restored = store.undo()
    now_p, old_p = current.data.get("processes", {}), restored.data.get("processes", {})
    return Undone(
        added=[u for u in now_p if u not in old_p],
        removed=[u for u in old_p if u not in now_p],
        changed=[u for u in now_p if u in old_p and now_p[u] != old_p[u]],
        mindmap_changed=current.data.get("mindmap", {}) != restored.data.get("mindmap", {}),
        other_changed=current.data != restored.data,
    )
