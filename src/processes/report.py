"""Totals over a time window: ``proc report``.

Each process counts only the part of its life inside the window, and only its
active time: the top-level disruptions are subtracted once, clipped the same
way. An active process counts up to now. ``by="day"`` splits time at local
midnight (so a day across a daylight-saving change has 23 or 25 hours).
"""

from __future__ import annotations

import time
from typing import Any

from . import timeline as tlm
from .errors import UsageError

GROUPINGS = ("name", "day", "layer")
DEFAULT_DAYS = 7


def _day_starts(lo: int, hi: int) -> list[tuple[str, int, int]]:
    """``(YYYY-MM-DD, start, end)`` for every local day that overlaps ``[lo, hi]``."""
    t = time.localtime(lo)
    y, m, d = t.tm_year, t.tm_mon, t.tm_mday
    out = []
    while True:
        start = int(time.mktime((y, m, d, 0, 0, 0, 0, 0, -1)))
        end = int(time.mktime((y, m, d + 1, 0, 0, 0, 0, 0, -1)))
        label = time.strftime("%Y-%m-%d", time.localtime(start))
        if start > hi:
            break
        out.append((label, start, end))
        if end >= hi:  # a window ending at midnight does not reach into the next day
            break
        nxt = time.localtime(end)
        y, m, d = nxt.tm_year, nxt.tm_mon, nxt.tm_mday
    return out


def report(
    records: Any,
    since: int | None = None,
    until: int | None = None,
    by: str = "name",
    name: str | None = None,
    now: int | None = None,
) -> list[dict[str, Any]]:
    """Rows ``{<by>: key, active_s, duration_s, paused_s, count}``, sorted by key.

    ``records`` is an iterable of records. The window defaults to the last 7 days
    up to now. ``count`` is the number of processes that overlap the window (for
    ``by="day"``, that day).
    """
    if by not in GROUPINGS:
        raise UsageError(f"invalid grouping {by!r}; accepted: {', '.join(GROUPINGS)}")
    now = int(time.time()) if now is None else now
    hi = now if until is None else until
    lo = hi - DEFAULT_DAYS * 86400 if since is None else since
    if lo > hi:
        raise UsageError("the window's start (--since) comes after its end (--until)")
    rows: dict[Any, dict[str, Any]] = {}
    days = _day_starts(lo, hi) if by == "day" else []
    for rec in records:
        if name is not None and rec["name"] != name:
            continue
        pieces: list[tuple[Any, int, int]]
        if by == "day":
            pieces = [(label, max(a, lo), min(b, hi)) for label, a, b in days]
        else:
            key = rec["name"] if by == "name" else tlm.layer_of(rec["uid"])
            pieces = [(key, lo, hi)]
        for key, a, b in pieces:
            if not _touches(rec, a, b, now):
                continue
            total, paused = tlm.spans(rec, now, a, b)
            row = rows.setdefault(
                key, {by: key, "active_s": 0, "duration_s": 0, "paused_s": 0, "count": 0}
            )
            row["duration_s"] += total
            row["paused_s"] += paused
            row["active_s"] += total - paused
            row["count"] += 1
    return [rows[k] for k in sorted(rows)]


def _touches(rec: dict[str, Any], lo: int, hi: int, now: int) -> bool:
    # A process overlaps [lo, hi) when it starts before hi and ends after lo;
    # one that lasts 0 s counts where it lies.
    tl = rec["timeline"]
    start: int = tl["initialized"]
    end: int = now if tl["terminated"] == tlm.ONGOING else tl["terminated"]
    if start == end:
        return lo <= start < hi or start == hi == lo
    return start < hi and end > lo


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The sums of a report's columns."""
    return {
        k: sum(int(r[k]) for r in rows) for k in ("active_s", "duration_s", "paused_s", "count")
    }
