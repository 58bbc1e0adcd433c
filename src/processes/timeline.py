"""Pure functions over timelines and records kept as plain JSON data.

A *timeline* is ``{"initialized": int, "terminated": int, "disruptions": [...]}``
where ``terminated == -1`` means ongoing and each disruption is a one-key
object ``{type: timeline}``. A *record* is ``{"name", "uid", "timeline", ...}``.

Records stay plain dicts (no object per record) so that large stores load fast;
these functions compute everything the commands show.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    Timeline = dict[str, Any]
    Record = dict[str, Any]

ONGOING = -1


def layer_of(uid: str) -> int:
    """The layer encoded in a UID ``"{layer}-{hex}"``."""
    head, sep, _ = uid.partition("-")
    if not sep or not head.isdigit() or not head.isascii():
        raise ValueError(f"not a process UID: {uid!r} (expected LAYER-HEX, e.g. 1-a3f2)")
    return int(head)


def children(tl: Timeline) -> Iterator[tuple[str, Timeline]]:
    """The (type, timeline) pairs of a timeline's direct disruptions, in order."""
    for item in tl.get("disruptions") or ():
        yield from item.items()


def open_chain(tl: Timeline) -> list[tuple[str, Timeline]]:
    """The open disruptions from outermost to innermost (empty when running or stopped)."""
    chain: list[tuple[str, Timeline]] = []
    cur = tl
    while True:
        for kind, sub in reversed(list(children(cur))):
            if sub["terminated"] == ONGOING:
                chain.append((kind, sub))
                cur = sub
                break
        else:
            return chain


def latest_event(tl: Timeline) -> int:
    """The latest time recorded anywhere in a timeline (start, ends, disruption bounds)."""
    best = int(tl["initialized"])
    if tl["terminated"] != ONGOING:
        best = max(best, int(tl["terminated"]))
    for _, sub in children(tl):
        best = max(best, latest_event(sub))
    return best


def state(rec: Record) -> str:
    """``"running"``, ``"paused"`` or ``"stopped"``."""
    tl = rec["timeline"]
    if tl["terminated"] != ONGOING:
        return "stopped"
    return "paused" if open_chain(tl) else "running"


def is_active(rec: Record) -> bool:
    """True while the process has not been stopped (running or paused)."""
    return bool(rec["timeline"]["terminated"] == ONGOING)


def _clip(tl: Timeline, lo: int, hi: int, now: int) -> tuple[int, int] | None:
    end = now if tl["terminated"] == ONGOING else tl["terminated"]
    a, b = max(tl["initialized"], lo), min(end, hi)
    return (a, b) if b > a else None


def _union_length(intervals: list[tuple[int, int]]) -> int:
    total, cur_a, cur_b = 0, None, None
    for a, b in sorted(intervals):
        if cur_b is None or a > cur_b:
            if cur_b is not None and cur_a is not None:
                total += cur_b - cur_a
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None and cur_a is not None:
        total += cur_b - cur_a
    return total


def spans(
    rec: Record, now: int | None = None, lo: int | None = None, hi: int | None = None
) -> tuple[int, int]:
    """``(duration_s, paused_s)`` of a record inside the window ``[lo, hi]``.

    The duration runs from start to end (or ``now`` while active); paused time is
    the union of the *top-level* disruptions, clipped to the same interval, so
    nested disruptions never count twice. Without a window, the whole life.
    """
    now = int(time.time()) if now is None else now
    tl = rec["timeline"]
    lo = tl["initialized"] if lo is None else lo
    hi = now if hi is None else hi
    whole = _clip(tl, lo, hi, now)
    if whole is None:
        return 0, 0
    a, b = whole
    pauses = [c for _, sub in children(tl) if (c := _clip(sub, a, b, now)) is not None]
    return b - a, _union_length(pauses)


def duration_s(rec: Record, now: int | None = None) -> int:
    """Seconds from start to end, or to ``now`` while active."""
    now = int(time.time()) if now is None else now
    tl = rec["timeline"]
    end = now if tl["terminated"] == ONGOING else tl["terminated"]
    return max(0, int(end) - int(tl["initialized"]))


def active_s(rec: Record, now: int | None = None) -> int:
    """``duration_s`` minus the union of the top-level disruptions."""
    total, paused = spans(rec, now)
    return total - paused


_DAY_PREFIX: dict[int, str] = {}


def iso(ts: int) -> str:
    """ISO 8601 UTC with a ``Z``: ``2026-12-04T15:43:50Z``."""
    # Listing 100,000 records formats 200,000 times: the date part is computed
    # once per day and the clock part by arithmetic, several times faster.
    day, sec = divmod(ts, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    hours, rest = divmod(sec, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{prefix}{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def enrich(rec: Record, now: int | None = None) -> Record:
    """The record plus the computed fields every JSON output carries.

    ``layer``, ``state``, ``started_at``, ``ended_at`` (ISO 8601 UTC or None),
    ``duration_s`` and ``active_s``. The stored record is not modified.
    """
    return enrich_all([rec], now)[0]


_CLOCK: list[str] = []


def _clock() -> list[str]:
    """``"HH:MM:SS"`` for every second of a day (built once, for long listings)."""
    if not _CLOCK:
        two = [f"{i:02d}" for i in range(60)]
        _CLOCK.extend(f"{h}:{m}:{sec}" for h in two[:24] for m in two for sec in two)
    return _CLOCK


def enrich_all(records: list[Record], now: int | None = None) -> list[Record]:
    """:func:`enrich` for many records at once.

    A listing of 100,000 records spends most of its time here, so the fields
    are computed inline (the same rules as :func:`spans` and :func:`state`).
    """
    now = int(time.time()) if now is None else now
    clock = _clock() if len(records) >= 20_000 else None
    prefixes = _DAY_PREFIX
    out = []
    for rec in records:
        tl = rec["timeline"]
        init = tl["initialized"]
        term = tl["terminated"]
        uid = rec["uid"]
        e = dict(rec)
        e["layer"] = int(uid[: uid.index("-")])
        end = now if term == ONGOING else min(term, now)
        total = end - init if end > init else 0
        paused = 0
        dis = tl.get("disruptions")
        if dis and total:
            cuts = []
            for item in dis:
                for sub in item.values():
                    a = sub["initialized"]
                    b = sub["terminated"]
                    if b == ONGOING or b > end:
                        b = end
                    if a < init:
                        a = init
                    if b > a:
                        cuts.append((a, b))
            if len(cuts) == 1:
                paused = cuts[0][1] - cuts[0][0]
            elif cuts:
                paused = _union_length(cuts)
        if term != ONGOING:
            e["state"] = "stopped"
        else:
            e["state"] = "paused" if dis and open_chain(tl) else "running"
        if clock is None:
            e["started_at"] = iso(init)
            e["ended_at"] = None if term == ONGOING else iso(term)
        else:
            day, sec = divmod(init, 86400)
            prefix = prefixes.get(day) or iso(init)[:11]
            e["started_at"] = prefix + clock[sec] + "Z"
            if term == ONGOING:
                e["ended_at"] = None
            else:
                day, sec = divmod(term, 86400)
                prefix = prefixes.get(day) or iso(term)[:11]
                e["ended_at"] = prefix + clock[sec] + "Z"
        e["duration_s"] = total
        e["active_s"] = total - paused
        out.append(e)
    return out


# -- changes -----------------------------------------------------------------------------


def close_open(tl: Timeline, at: int) -> None:
    """Close every open disruption of ``tl`` (at any depth) at ``at``."""
    for _, sub in open_chain(tl):
        sub["terminated"] = at


def add_pause(tl: Timeline, kind: str, at: int) -> Timeline:
    """Open a disruption of type ``kind`` at ``at``, inside the innermost open one."""
    chain = open_chain(tl)
    parent = chain[-1][1] if chain else tl
    sub: Timeline = {"initialized": at, "terminated": ONGOING, "disruptions": []}
    parent.setdefault("disruptions", []).append({kind: sub})
    return sub


def close_innermost(tl: Timeline, at: int) -> tuple[str, Timeline] | None:
    """Close the innermost open disruption at ``at``; None when there is none."""
    chain = open_chain(tl)
    if not chain:
        return None
    kind, sub = chain[-1]
    sub["terminated"] = at
    return kind, sub
