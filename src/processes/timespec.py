"""The time grammar of ``--at``, ``--since`` and ``--until``.

Accepted forms (local time unless an offset is given):

* ``now``
* ``@1733325600`` -- Unix epoch seconds
* ``2026-12-04T09:30``, ``2026-12-04 09:30:15``, ``2026-12-04T09:30Z``,
  ``2026-12-04T09:30+01:00`` -- ISO 8601; a date alone means its midnight
* ``09:30`` or ``09:30:15`` -- today
* ``today``, ``yesterday``, ``today 09:30``, ``yesterday 17:05``
* ``-15m``, ``-1h30m``, ``15m ago``, ``2d ago`` -- relative to now, with units
  s (seconds), m (minutes), h (hours), d (days), w (weeks)
"""

from __future__ import annotations

import re
import time

from .errors import TimeFormatError

ACCEPTED = (
    "accepted: now; @EPOCH; ISO 8601 such as 2026-12-04T09:30, 2026-12-04 09:30:15, "
    "2026-12-04T09:30Z or 2026-12-04T09:30+01:00; HH:MM or HH:MM:SS (today); "
    "today, yesterday, today HH:MM, yesterday HH:MM; -15m, -1h30m, 15m ago "
    "(units s, m=minutes, h, d, w)"
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_PART = re.compile(r"(\d+)([smhdw])")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DAY = re.compile(r"(today|yesterday)(?:[ T]+(.+))?")
_EPOCH = re.compile(r"@(\d{1,12})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``90s``, ``15m``, ``1h30m``, ``2d``."""
    raw = text.strip().lower()
    if not _DURATION.fullmatch(raw):
        raise TimeFormatError(
            f"invalid duration {text!r}; accepted: a number and a unit, repeated, "
            "such as 30s, 15m, 1h30m, 2d (units s, m=minutes, h, d, w)"
        )
    return sum(int(n) * _UNITS[u] for n, u in _PART.findall(raw))


def _midnight(now: int, days_back: int) -> int:
    t = time.localtime(now)
    base = time.mktime((t.tm_year, t.tm_mon, t.tm_mday - days_back, 0, 0, 0, 0, 0, -1))
    return int(base)


def _at_clock(day_start: int, clock: str) -> int | None:
    m = _CLOCK.fullmatch(clock)
    if not m:
        return None
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return None
    t = time.localtime(day_start)
    return int(time.mktime((t.tm_year, t.tm_mon, t.tm_mday, hh, mm, ss, 0, 0, -1)))


def parse_time(text: str, now: int | None = None) -> int:
    """Epoch seconds for a time expression; :class:`TimeFormatError` lists the forms."""
    now = int(time.time()) if now is None else now
    raw = text.strip()
    low = raw.lower()
    result = _parse(raw, low, now)
    if result is None:
        raise TimeFormatError(f"invalid time {text!r}; {ACCEPTED}")
    return result


def _parse(raw: str, low: str, now: int) -> int | None:
    if low == "now":
        return now
    m = _EPOCH.fullmatch(low)
    if m:
        return int(m.group(1))
    if low.startswith("-") and _DURATION.fullmatch(low[1:]):
        return now - parse_duration(low[1:])
    if low.endswith(" ago") and _DURATION.fullmatch(low[:-4].replace(" ", "")):
        return now - parse_duration(low[:-4].replace(" ", ""))
    m = _DAY.fullmatch(low)
    if m:
        start = _midnight(now, 0 if m.group(1) == "today" else 1)
        return start if m.group(2) is None else _at_clock(start, m.group(2).strip())
    if _CLOCK.fullmatch(low):
        return _at_clock(_midnight(now, 0), low)
    if _ISO_DATE.match(low):
        return _parse_iso(raw)
    return None


def _parse_iso(raw: str) -> int | None:
    from datetime import datetime

    text = raw.replace(" ", "T", 1) if len(raw) > 10 else raw
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
        return int(dt.timestamp())  # naive means local time
    except (ValueError, OverflowError, OSError):
        return None
