"""The time grammar of processes.timespec, with exact epochs in a fixed time zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from processes.errors import TimeFormatError, UsageError
from processes.timespec import parse_duration, parse_time

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def berlin() -> Iterator[ZoneInfo]:
    """Local time is Europe/Berlin for the test; the process's zone is restored after."""
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TZ", "Europe/Berlin")
            time.tzset()
            yield BERLIN
    finally:
        time.tzset()


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    """Epoch of a Berlin wall-clock time (computed without the library)."""
    return int(datetime(y, mo, d, h, mi, s, tzinfo=BERLIN).timestamp())


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc).timestamp())


def iso_utc_z(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = local(2026, 12, 4, 15, 43, 50)  # winter: CET, UTC+1


def test_fixture_sets_the_zone() -> None:
    assert time.strftime("%Z", time.localtime(NOW)) == "CET"
    assert time.localtime(NOW).tm_hour == 15


# -- accepted forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # now
        ("now", NOW),
        ("NOW", NOW),
        ("  now  ", NOW),
        # @EPOCH
        ("@1733325600", 1733325600),
        ("@0", 0),
        ("@1", 1),
        # ISO 8601 with Z
        ("2026-12-04T09:30Z", utc(2026, 12, 4, 9, 30)),
        ("2026-12-04T09:30:15Z", utc(2026, 12, 4, 9, 30, 15)),
        ("2026-07-01T09:30Z", utc(2026, 7, 1, 9, 30)),
        ("2026-12-04t09:30z", utc(2026, 12, 4, 9, 30)),
        ("2026-12-04 09:30Z", utc(2026, 12, 4, 9, 30)),
        # ISO 8601 with an offset
        ("2026-12-04T09:30+01:00", utc(2026, 12, 4, 8, 30)),
        ("2026-07-01T09:30+01:00", utc(2026, 7, 1, 8, 30)),
        ("2026-12-04T09:30:15-05:30", utc(2026, 12, 4, 15, 0, 15)),
        ("2026-12-04T09:30+00:00", utc(2026, 12, 4, 9, 30)),
        # naive ISO: local time, with the summer/winter offset of that date
        ("2026-12-04T09:30", local(2026, 12, 4, 9, 30)),
        ("2026-12-04T09:30:15", local(2026, 12, 4, 9, 30, 15)),
        ("2026-07-01T09:30", local(2026, 7, 1, 9, 30)),
        ("2026-07-01T09:30", utc(2026, 7, 1, 7, 30)),
        ("2026-12-04T09:30", utc(2026, 12, 4, 8, 30)),
        # space separator
        ("2026-12-04 09:30", local(2026, 12, 4, 9, 30)),
        ("2026-12-04 09:30:15", local(2026, 12, 4, 9, 30, 15)),
        # date alone: local midnight
        ("2026-12-04", local(2026, 12, 4)),
        ("2026-07-01", local(2026, 7, 1)),
        ("2026-07-01", utc(2026, 6, 30, 22)),
        # HH:MM and HH:MM:SS today
        ("09:30", local(2026, 12, 4, 9, 30)),
        ("09:30:15", local(2026, 12, 4, 9, 30, 15)),
        ("9:05", local(2026, 12, 4, 9, 5)),
        ("00:00", local(2026, 12, 4)),
        ("23:59:59", local(2026, 12, 4, 23, 59, 59)),
        # today / yesterday
        ("today", local(2026, 12, 4)),
        ("yesterday", local(2026, 12, 3)),
        ("today 09:30", local(2026, 12, 4, 9, 30)),
        ("today 09:30:15", local(2026, 12, 4, 9, 30, 15)),
        ("yesterday 17:05", local(2026, 12, 3, 17, 5)),
        ("yesterday 17:05:30", local(2026, 12, 3, 17, 5, 30)),
        ("TODAY", local(2026, 12, 4)),
        ("Yesterday 17:05", local(2026, 12, 3, 17, 5)),
        ("YESTERDAY 23:59", local(2026, 12, 3, 23, 59)),
        # relative
        ("-15m", NOW - 15 * 60),
        ("-1h30m", NOW - 5400),
        ("-90s", NOW - 90),
        ("-2d", NOW - 2 * 86400),
        ("-1w2d3h4m5s", NOW - (604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5)),
        ("-0m", NOW),
        ("15m ago", NOW - 900),
        ("2d ago", NOW - 172800),
        ("1w ago", NOW - 604800),
        ("90s ago", NOW - 90),
        ("1h30m ago", NOW - 5400),
        ("-15M", NOW - 900),
        ("-1H30M", NOW - 5400),
        ("15M AGO", NOW - 900),
        ("2D Ago", NOW - 172800),
        ("1W AGO", NOW - 604800),
        ("90S ago", NOW - 90),
    ],
)
def test_parse_time(text: str, expected: int) -> None:
    assert parse_time(text, NOW) == expected


def test_now_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW + 0.75)
    assert parse_time("now") == NOW
    assert parse_time("-1m") == NOW - 60


def test_today_uses_the_local_date_not_the_utc_date() -> None:
    now = local(2026, 12, 4, 0, 30)  # still 2026-12-03 in UTC
    assert datetime.fromtimestamp(now, timezone.utc).day == 3
    assert parse_time("today", now) == local(2026, 12, 4)
    assert parse_time("09:30", now) == local(2026, 12, 4, 9, 30)
    assert parse_time("yesterday", now) == local(2026, 12, 3)
    assert parse_time("yesterday 23:45", now) == local(2026, 12, 3, 23, 45)


def test_clock_may_lie_later_today() -> None:
    now = local(2026, 12, 4, 8, 0)
    assert parse_time("23:00", now) == local(2026, 12, 4, 23, 0)


@pytest.mark.parametrize(
    ("now", "today", "yesterday"),
    [
        (local(2026, 3, 1, 10), local(2026, 3, 1), local(2026, 2, 28)),
        (local(2028, 3, 1, 10), local(2028, 3, 1), local(2028, 2, 29)),
        (local(2027, 1, 1, 8), local(2027, 1, 1), local(2026, 12, 31)),
        (local(2026, 12, 1, 0, 0), local(2026, 12, 1), local(2026, 11, 30)),
    ],
)
def test_today_and_yesterday_across_month_and_year(now: int, today: int, yesterday: int) -> None:
    assert parse_time("today", now) == today
    assert parse_time("yesterday", now) == yesterday


def test_spring_forward_day() -> None:
    # 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST; the day lasts 23 hours.
    now = local(2026, 3, 29, 12, 0)
    assert parse_time("today", now) == local(2026, 3, 29) == utc(2026, 3, 28, 23)
    assert parse_time("yesterday", now) == local(2026, 3, 28)
    assert parse_time("01:30", now) == utc(2026, 3, 29, 0, 30)
    assert parse_time("today 03:30", now) == utc(2026, 3, 29, 1, 30)
    assert parse_time("-1d", now) == now - 86400
    after = local(2026, 3, 30, 12, 0)
    assert parse_time("yesterday", after) == local(2026, 3, 29)
    assert after - parse_time("yesterday", after) == 35 * 3600
    assert parse_time("yesterday 12:00", after) == now


def test_fall_back_day() -> None:
    # 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET; the day lasts 25 hours.
    now = local(2026, 10, 25, 12, 0)
    assert parse_time("today", now) == local(2026, 10, 25) == utc(2026, 10, 24, 22)
    assert parse_time("04:00", now) == utc(2026, 10, 25, 3)
    after = local(2026, 10, 26, 12, 0)
    assert after - parse_time("yesterday", after) == 37 * 3600


# -- refused forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "25:00",
        "12:60",
        "12:30:60",
        "-15x",
        "15 minutes ago",
        "2026-13-01",
        "2026-02-30",
        "2026-12-04T25:00",
        "2026-12-04T09:30+25:00",
        "@abc",
        "@",
        "@-5",
        "@1.5",
        "yesterday 99:00",
        "today 24:00",
        "today noon",
        "tomorrow",
        "1h30",
        "15m",
        "-",
        "-m",
        "ago",
        "m ago",
        "-1.5h",
        "+15m",
        "15m from now",
        "2026/12/04",
        "04.12.2026",
        "1733325600",
    ],
)
def test_bad_time_forms(text: str) -> None:
    with pytest.raises(TimeFormatError) as info:
        parse_time(text, NOW)
    err = info.value
    assert isinstance(err, UsageError)
    assert err.exit_code == 2
    assert "accepted" in err.message
    assert repr(text) in err.message


# -- parse_duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 90),
        ("1h30m", 5400),
        ("2d", 172800),
        ("15m", 900),
        ("1w", 604800),
        ("0s", 0),
        ("1w1d1h1m1s", 604800 + 86400 + 3600 + 60 + 1),
        ("1H30M", 5400),
        ("  2d ", 172800),
        ("30m30m", 3600),
    ],
)
def test_parse_duration(text: str, expected: int) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", " ", "90", "m", "1.5h", "-5m", "15 minutes", "1h 30m", "5y", "h1", "1h30"]
)
def test_parse_duration_bad(text: str) -> None:
    with pytest.raises(TimeFormatError) as info:
        parse_duration(text)
    assert info.value.exit_code == 2
    assert "accepted" in info.value.message


# -- properties --------------------------------------------------------------------------------

EPOCHS = st.integers(min_value=0, max_value=utc(2100, 1, 1))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=EPOCHS)
def test_epoch_and_utc_iso_round_trip(t: int) -> None:
    assert parse_time(f"@{t}", NOW) == t
    assert parse_time(iso_utc_z(t), NOW) == t


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(t=st.integers(min_value=utc(1990, 1, 1), max_value=utc(2090, 1, 1)))
def test_local_forms_round_trip(t: int) -> None:
    dt = datetime.fromtimestamp(t, BERLIN)
    # Skip the repeated hour when clocks go back: its wall time names two instants.
    assume(dt.replace(fold=0).utcoffset() == dt.replace(fold=1).utcoffset())
    assert parse_time(dt.strftime("%Y-%m-%dT%H:%M:%S"), NOW) == t
    assert parse_time(dt.strftime("%Y-%m-%d %H:%M:%S"), NOW) == t
    assert parse_time(dt.strftime("%H:%M:%S"), t) == t
    assert parse_time("today " + dt.strftime("%H:%M:%S"), t) == t
    nxt = dt.date() + timedelta(days=1)
    next_noon = local(nxt.year, nxt.month, nxt.day, 12)
    assert parse_time("yesterday " + dt.strftime("%H:%M:%S"), next_noon) == t
    midnight = datetime(dt.year, dt.month, dt.day, tzinfo=BERLIN)
    assert parse_time("today", t) == int(midnight.timestamp())
    prev = midnight.date() - timedelta(days=1)
    assert parse_time("yesterday", t) == int(
        datetime(prev.year, prev.month, prev.day, tzinfo=BERLIN).timestamp()
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=0, max_value=10_000),
    unit=st.sampled_from([("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604800)]),
)
def test_relative_forms_agree(n: int, unit: tuple[str, int]) -> None:
    letter, seconds = unit
    assert parse_duration(f"{n}{letter}") == n * seconds
    assert parse_time(f"-{n}{letter}", NOW) == NOW - n * seconds
    assert parse_time(f"{n}{letter} ago", NOW) == NOW - n * seconds
    assert parse_time(f"{n}{letter.upper()} AGO", NOW) == NOW - n * seconds
