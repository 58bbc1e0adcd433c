"""Tests of ``proc report``: totals over a window, by name, day or layer.

The library function :func:`processes.report.report` is fed hand-built records
with an explicit ``now`` and window, so every figure is exact. The command line
is run in-process (typer's CliRunner) on hand-written stores, with
``processes.commands._now`` pinned where "now" matters, and as the installed
console script where the time zone must be the child's own.

Windows are half-open, ``[since, until)``: a process that ends exactly at
``since`` or starts exactly at ``until`` does not overlap it.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from processes import commands
from processes.cli import app
from processes.errors import UsageError
from processes.render import fmt_duration
from processes.report import report, totals

RUNNER = CliRunner()
PROC = Path(sys.executable).with_name("proc")
DAY = 86400
WEEK = 7 * DAY
FAR = 10**10  # a "now" long after every hand-built record


# -- building records ---------------------------------------------------------------------


def tl(start: int, end: int = -1, *dis: dict[str, Any]) -> dict[str, Any]:
    return {"initialized": start, "terminated": end, "disruptions": list(dis)}


def dis(kind: str, start: int, end: int = -1, *nested: dict[str, Any]) -> dict[str, Any]:
    """A disruption ``{kind: timeline}``; ``nested`` are disruptions inside it."""
    return {kind: tl(start, end, *nested)}


def rec(name: str, uid: str, start: int, end: int = -1, *d: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "uid": uid, "timeline": tl(start, end, *d)}


def row(key: Any, active: int, duration: int, paused: int, count: int, by: str = "name") -> dict:
    return {by: key, "active_s": active, "duration_s": duration, "paused_s": paused, "count": count}


def one(record: dict[str, Any], since: int, until: int, now: int = FAR) -> dict[str, Any]:
    """The single row a single record gives in ``[since, until)``."""
    rows = report([record], since, until, now=now)
    assert len(rows) == 1, rows
    return rows[0]


# -- the window cuts processes -----------------------------------------------------------

LO, HI = 1000, 2000  # the window of most library tests


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        pytest.param(500, 1500, 500, id="cut-left"),
        pytest.param(1500, 2500, 500, id="cut-right"),
        pytest.param(500, 2500, 1000, id="cut-both-sides"),
        pytest.param(1200, 1300, 100, id="inside"),
        pytest.param(1000, 2000, 1000, id="exactly-the-window"),
    ],
)
def test_a_stopped_process_counts_only_its_part_inside_the_window(
    start: int, end: int, seconds: int
) -> None:
    assert one(rec("a", "0-aaaa", start, end), LO, HI) == row("a", seconds, seconds, 0, 1)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(0, 999, id="before"),
        pytest.param(0, 1000, id="ends-at-since"),
        pytest.param(2000, 3000, id="starts-at-until"),
        pytest.param(2001, 3000, id="after"),
    ],
)
def test_a_process_outside_the_window_gives_no_row(start: int, end: int) -> None:
    assert report([rec("a", "0-aaaa", start, end)], LO, HI, now=FAR) == []


def test_pauses_cut_on_both_sides_of_the_window() -> None:
    r = rec(
        "a",
        "0-aaaa",
        0,
        3000,
        dis("pause", 100, 200),  # entirely before the window: 0
        dis("pause", 800, 1100),  # cut on the left: 100
        dis("lunch", 1400, 1500),  # inside: 100
        dis("pause", 1900, 2200),  # cut on the right: 100
        dis("pause", 2500, 2600),  # entirely after: 0
    )
    assert one(r, LO, HI) == row("a", 700, 1000, 300, 1)


def test_a_pause_covering_the_whole_window() -> None:
    r = rec("a", "0-aaaa", 0, 3000, dis("pause", 500, 2500))
    assert one(r, LO, HI) == row("a", 0, 1000, 1000, 1)


def test_the_process_and_its_pause_both_cut_on_the_left() -> None:
    # Process 900..1500, its pause 950..1100: inside the window 1000..1500, paused 100.
    r = rec("a", "0-aaaa", 900, 1500, dis("pause", 950, 1100))
    assert one(r, LO, HI) == row("a", 400, 500, 100, 1)


def test_nested_disruptions_are_counted_once() -> None:
    r = rec(
        "a",
        "0-aaaa",
        0,
        3000,
        dis(
            "pause",
            1200,
            1600,
            dis("meeting", 1300, 1500, dis("call", 1350, 1400)),
            dis("coffee", 1550, 1600),
        ),
    )
    assert one(r, LO, HI) == row("a", 600, 1000, 400, 1)


def test_nested_disruptions_cut_by_the_window_are_counted_once() -> None:
    # The outer pause 900..1300 is cut to 1000..1300; the nested one lies inside it.
    r = rec("a", "0-aaaa", 0, 3000, dis("pause", 900, 1300, dis("meeting", 950, 1250)))
    assert one(r, LO, HI) == row("a", 700, 1000, 300, 1)


def test_overlapping_sibling_pauses_count_their_union() -> None:
    r = rec(
        "a",
        "0-aaaa",
        0,
        3000,
        dis("pause", 1200, 1500),
        dis("meeting", 1400, 1700),  # overlaps the first: union 1200..1700
        dis("pause", 1200, 1500),  # a duplicate adds nothing
        dis("pause", 1700, 1800),  # touches the union: 1200..1800 in all
    )
    assert one(r, LO, HI) == row("a", 400, 1000, 600, 1)


# -- active processes ---------------------------------------------------------------------


def test_an_active_process_counts_up_to_now() -> None:
    r = rec("a", "0-aaaa", 1500)
    assert one(r, LO, HI, now=1800) == row("a", 300, 300, 0, 1)


def test_an_active_process_is_cut_at_the_window_end() -> None:
    r = rec("a", "0-aaaa", 500)
    assert one(r, LO, HI, now=5000) == row("a", 1000, 1000, 0, 1)


def test_a_running_process_with_an_open_pause() -> None:
    # Paused since 1600 (and, nested inside, in a meeting since 1700): at 1900,
    # 800 s in the window of which 300 s paused; the nested one counts once.
    r = rec("a", "0-aaaa", 1100, -1, dis("pause", 1600, -1, dis("meeting", 1700, -1)))
    assert one(r, LO, HI, now=1900) == row("a", 500, 800, 300, 1)


def test_an_open_pause_is_cut_at_the_window_end() -> None:
    r = rec("a", "0-aaaa", 1100, -1, dis("pause", 1600, -1))
    assert one(r, LO, HI, now=9000) == row("a", 500, 900, 400, 1)


def test_a_process_started_after_now_within_the_window_gives_nothing_beyond_now() -> None:
    # The window may reach past now; an active process never counts beyond now.
    r = rec("a", "0-aaaa", 1200)
    assert one(r, LO, 5000, now=1500) == row("a", 300, 300, 0, 1)


# -- grouping, filtering, counting ---------------------------------------------------------


def test_rows_by_name_sum_processes_and_are_sorted() -> None:
    records = [
        rec("write", "0-aaaa", 500, 1500),  # 500
        rec("read", "0-bbbb", 1100, 1200),  # 100
        rec("write", "0-cccc", 1800, 2500, dis("pause", 1900, 1950)),  # 200, paused 50
        rec("write", "0-dddd", 0, 900),  # outside
    ]
    assert report(records, LO, HI, now=FAR) == [
        row("read", 100, 100, 0, 1),
        row("write", 650, 700, 50, 2),
    ]


def test_by_layer_groups_by_the_uid_layer_as_a_number() -> None:
    records = [
        rec("a", "10-aaaa", 1000, 1100),
        rec("b", "2-bbbb", 1000, 1300, dis("pause", 1100, 1200)),
        rec("c", "2-cccc", 1500, 1600),
        rec("d", "0-dddd", 1900, 2100),
    ]
    assert report(records, LO, HI, by="layer", now=FAR) == [
        row(0, 100, 100, 0, 1, by="layer"),
        row(2, 300, 400, 100, 2, by="layer"),
        row(10, 100, 100, 0, 1, by="layer"),  # numeric order: 10 after 2
    ]


def test_name_filter() -> None:
    records = [rec("a", "0-aaaa", 1000, 1100), rec("b", "0-bbbb", 1000, 1500)]
    assert report(records, LO, HI, name="b", now=FAR) == [row("b", 500, 500, 0, 1)]
    assert report(records, LO, HI, name="zzz", now=FAR) == []
    assert report(records, LO, HI, name="b", by="layer", now=FAR) == [
        row(0, 500, 500, 0, 1, by="layer")
    ]


def test_count_is_the_number_of_processes_that_overlap_the_window() -> None:
    records = [
        rec("a", "0-0001", 1100, 1200),  # inside
        rec("a", "0-0002", 0, 3000, dis("pause", 0, 3000)),  # overlaps, all paused
        rec("a", "0-0003", 1500, 1500),  # lasts 0 s, inside: counts
        rec("a", "0-0004", 1000, 1000),  # 0 s at the window's start: counts
        rec("a", "0-0005", 2000, 2000),  # 0 s at the window's end: outside
        rec("a", "0-0006", 0, 1000),  # ends where the window starts: outside
        rec("a", "0-0007", 2000, 2500),  # starts where it ends: outside
    ]
    assert report(records, LO, HI, now=FAR) == [row("a", 100, 1100, 1000, 4)]


def test_totals_sum_the_columns() -> None:
    rows = [row("a", 1, 2, 1, 1), row("b", 10, 30, 20, 3)]
    assert totals(rows) == {"active_s": 11, "duration_s": 32, "paused_s": 21, "count": 4}
    assert totals([]) == {"active_s": 0, "duration_s": 0, "paused_s": 0, "count": 0}


# -- the default window --------------------------------------------------------------------

NOW = 1_800_000_000


def _week_records() -> list[dict[str, Any]]:
    return [
        rec("old", "0-0001", NOW - 8 * DAY, NOW - 8 * DAY + 3600),
        rec("recent", "0-0002", NOW - 6 * DAY, NOW - 6 * DAY + 3600),
        rec("edge", "0-0003", NOW - WEEK - 100, NOW - WEEK + 100),
        rec("live", "0-0004", NOW - 60),
    ]


def test_the_default_window_is_the_last_seven_days() -> None:
    assert report(_week_records(), now=NOW) == [
        row("edge", 100, 100, 0, 1),
        row("live", 60, 60, 0, 1),
        row("recent", 3600, 3600, 0, 1),
    ]


def test_until_alone_means_the_seven_days_before_it() -> None:
    # [NOW - 12 d, NOW - 5 d): all of "edge", "old" and "recent", none of "live".
    until = NOW - 5 * DAY
    assert report(_week_records(), until=until, now=NOW) == [
        row("edge", 200, 200, 0, 1),
        row("old", 3600, 3600, 0, 1),
        row("recent", 3600, 3600, 0, 1),
    ]


def test_since_alone_runs_up_to_now() -> None:
    assert report(_week_records(), since=NOW - 30, now=NOW) == [row("live", 30, 30, 0, 1)]


def test_library_rejects_a_bad_grouping_and_a_reversed_window() -> None:
    with pytest.raises(UsageError, match="grouping"):
        report([], LO, HI, by="week", now=FAR)
    with pytest.raises(UsageError, match="since"):
        report([], HI, LO, now=FAR)


# -- by day, across daylight-saving changes ------------------------------------------------


@pytest.fixture
def berlin() -> Iterator[None]:
    """Local time is Europe/Berlin for the test; the old zone comes back after."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def utc(*fields: int) -> int:
    """Epoch seconds of a UTC wall-clock time ``(Y, M, D, h, m, s)``."""
    return calendar.timegm(fields)


# Berlin: CET is UTC+1, CEST is UTC+2. On 2026-03-29 clocks go 02:00 -> 03:00 (23 h);
# on 2026-10-25 they go 03:00 -> 02:00 (25 h).
MAR28 = utc(2026, 3, 27, 23, 0, 0)  # 2026-03-28 00:00 CET
MAR29 = utc(2026, 3, 28, 23, 0, 0)  # 2026-03-29 00:00 CET
MAR30 = utc(2026, 3, 29, 22, 0, 0)  # 2026-03-30 00:00 CEST
MAR31 = utc(2026, 3, 30, 22, 0, 0)
OCT24 = utc(2026, 10, 23, 22, 0, 0)  # 2026-10-24 00:00 CEST
OCT25 = utc(2026, 10, 24, 22, 0, 0)  # 2026-10-25 00:00 CEST
OCT26 = utc(2026, 10, 25, 23, 0, 0)  # 2026-10-26 00:00 CET
OCT27 = utc(2026, 10, 26, 23, 0, 0)


def test_the_dst_day_lengths_assumed_here(berlin: None) -> None:
    assert MAR30 - MAR29 == 23 * 3600
    assert OCT26 - OCT25 == 25 * 3600
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(MAR30)) == "2026-03-30 00:00"
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(OCT26)) == "2026-10-26 00:00"


def test_by_day_splits_at_local_midnight_across_the_spring_change(berlin: None) -> None:
    # 2026-03-28 22:00 CET to 2026-03-30 02:00 CEST.
    r = rec("a", "0-aaaa", MAR29 - 7200, MAR30 + 7200)
    assert report([r], MAR28, MAR31, by="day", now=FAR) == [
        row("2026-03-28", 7200, 7200, 0, 1, by="day"),
        row("2026-03-29", 82800, 82800, 0, 1, by="day"),
        row("2026-03-30", 7200, 7200, 0, 1, by="day"),
    ]


def test_by_day_splits_at_local_midnight_across_the_autumn_change(berlin: None) -> None:
    # 2026-10-24 14:00 CEST to 2026-10-26 02:00 CET, with a pause from 23:30 on
    # the 25th to 00:30 on the 26th (split 1800 + 1800).
    r = rec(
        "a",
        "0-aaaa",
        utc(2026, 10, 24, 12, 0, 0),
        OCT26 + 7200,
        dis("pause", OCT26 - 1800, OCT26 + 1800),
    )
    assert report([r], OCT24, OCT27, by="day", now=FAR) == [
        row("2026-10-24", 36000, 36000, 0, 1, by="day"),
        row("2026-10-25", 88200, 90000, 1800, 1, by="day"),
        row("2026-10-26", 5400, 7200, 1800, 1, by="day"),
    ]


def test_by_day_cut_by_a_window_that_does_not_start_at_midnight(berlin: None) -> None:
    # Window 2026-10-25 12:00 CET .. 2026-10-26 01:00 CET; one process runs through.
    since, until = utc(2026, 10, 25, 11, 0, 0), OCT26 + 3600
    r = rec("a", "0-aaaa", OCT24, OCT27)
    assert report([r], since, until, by="day", now=FAR) == [
        row("2026-10-25", 12 * 3600, 12 * 3600, 0, 1, by="day"),
        row("2026-10-26", 3600, 3600, 0, 1, by="day"),
    ]


def test_by_day_counts_each_process_on_each_day_it_touches(berlin: None) -> None:
    records = [
        rec("a", "0-0001", MAR29 - 600, MAR29 + 600),  # both days, 600 + 600
        rec("b", "0-0002", MAR29 + 3600, MAR29 + 7200),  # the 29th only
        rec("c", "0-0003", MAR28 + 60, MAR29),  # ends at midnight: the 28th only
    ]
    assert report(records, MAR28, MAR30, by="day", now=FAR) == [
        row("2026-03-28", 600 + MAR29 - MAR28 - 60, 600 + MAR29 - MAR28 - 60, 0, 2, by="day"),
        row("2026-03-29", 600 + 3600, 600 + 3600, 0, 2, by="day"),
    ]


def test_by_day_with_a_window_ending_at_midnight_has_no_empty_next_day(berlin: None) -> None:
    # --since 2026-03-29 --until 2026-03-30: exactly the 23-hour day. A process
    # running through it belongs to that day alone; the 30th is outside the window.
    r = rec("a", "0-aaaa", MAR28, MAR31)
    assert report([r], MAR29, MAR30, by="day", now=FAR) == [
        row("2026-03-29", 82800, 82800, 0, 1, by="day")
    ]


def test_by_day_an_active_process_counts_up_to_now(berlin: None) -> None:
    r = rec("a", "0-aaaa", OCT25 - 100)
    assert report([r], OCT24, OCT27, by="day", now=OCT25 + 50) == [
        row("2026-10-24", 100, 100, 0, 1, by="day"),
        row("2026-10-25", 50, 50, 0, 1, by="day"),
    ]


# -- the command line ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _cli_env(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROC_STORE", str(store_path))
    for var in ("PROC_OUTPUT", "FORCE_COLOR", "COLUMNS", "TTY_COMPATIBLE"):
        monkeypatch.delenv(var, raising=False)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    result = RUNNER.invoke(app, list(args), env=env)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        text = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        pytest.fail(f"proc {' '.join(args)!r} raised {exc!r}\n{text}")
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, env: dict[str, str] | None = None) -> Result:
    result = invoke(*args, env=env)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def report_json(*args: str) -> list[dict[str, Any]]:
    data = json.loads(ok("report", *args, "--json").stdout)
    assert isinstance(data, list)
    return data


def window(lo: int = LO, hi: int = HI) -> list[str]:
    return ["--since", f"@{lo}", "--until", f"@{hi}"]


def write_store(path: Path, *records: dict[str, Any]) -> None:
    doc = {"processes": {r["uid"]: r for r in records}, "mindmap": {}}
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


@pytest.fixture
def pinned_now(monkeypatch: pytest.MonkeyPatch) -> int:
    """The commands see ``NOW`` as the current time."""
    monkeypatch.setattr(commands, "_now", lambda: NOW)
    return NOW


WINDOW_STORE = [
    rec("left", "0-0001", 500, 1500, dis("pause", 600, 1100)),  # 500, paused 100
    rec("right", "0-0002", 1500, 2500, dis("pause", 1900, 2200, dis("call", 1950, 2100))),
    rec("both", "0-0003", 0, 3000, dis("pause", 800, 1100), dis("pause", 1900, 2200)),
    rec("outside", "0-0004", 2000, 2100),
]
WINDOW_ROWS = [
    row("both", 800, 1000, 200, 1),
    row("left", 400, 500, 100, 1),
    row("right", 400, 500, 100, 1),
]


def test_cli_json_exact_figures(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    data = report_json(*window())
    assert data == WINDOW_ROWS
    assert all(list(r) == ["name", "active_s", "duration_s", "paused_s", "count"] for r in data)


def test_cli_by_layer_json(store_path: Path) -> None:
    write_store(
        store_path,
        rec("a", "1-aaaa", 1000, 1200),
        rec("b", "1-bbbb", 1300, 1400),
        rec("c", "0-cccc", 1100, 2200, dis("pause", 1100, 1200)),
    )
    assert report_json(*window(), "--by", "layer") == [
        row(0, 800, 900, 100, 1, by="layer"),
        row(1, 300, 300, 0, 2, by="layer"),
    ]


def test_cli_name_filter(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    assert report_json(*window(), "--name", "right") == [row("right", 400, 500, 100, 1)]
    assert report_json(*window(), "--name", "nobody") == []


def test_cli_built_with_commands_nested_pauses_count_once(store_path: Path) -> None:
    t0 = 1_700_000_000
    uid = ok("start", "work", "--at", f"@{t0}").stdout.strip()
    ok("pause", uid, "--at", f"@{t0 + 100}")
    ok("pause", uid, "-t", "meeting", "--at", f"@{t0 + 150}")  # nested in the pause
    ok("resume", uid, "--at", f"@{t0 + 200}")
    ok("resume", uid, "--at", f"@{t0 + 300}")
    ok("stop", uid, "--at", f"@{t0 + 1000}")
    # The whole life: 1000 s, paused 200 (the meeting lies inside the pause).
    assert report_json(*window(t0 - 10, t0 + 2000)) == [row("work", 800, 1000, 200, 1)]
    # Cut on both sides through the pause: 50..250 -> paused 100..250.
    assert report_json(*window(t0 + 50, t0 + 250)) == [row("work", 50, 200, 150, 1)]


def test_cli_an_active_process_counts_up_to_now(store_path: Path, pinned_now: int) -> None:
    write_store(
        store_path,
        rec("live", "0-aaaa", NOW - 3600, -1, dis("pause", NOW - 600, -1)),
        rec("done", "0-bbbb", NOW - 7200, NOW - 5400),
    )
    assert report_json("--since", f"@{NOW - 4000}", "--until", "now") == [
        row("live", 3000, 3600, 600, 1)
    ]


def test_cli_an_active_process_counts_up_to_the_real_now(env: dict[str, str]) -> None:
    # The installed command with the real clock: started an hour ago, never stopped.
    now = int(time.time())
    start = now - 3600
    run = subprocess.run(
        [str(PROC), "start", "live", "--at", f"@{start}"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    before = int(time.time())
    out = subprocess.run(
        [str(PROC), "report", "--since", f"@{now - 7200}", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    after = int(time.time())
    assert out.returncode == 0, out.stderr
    (r,) = json.loads(out.stdout)
    assert (r["name"], r["paused_s"], r["count"]) == ("live", 0, 1)
    assert before - start <= r["duration_s"] <= after - start
    assert r["active_s"] == r["duration_s"]


def test_cli_default_window_is_the_last_seven_days(store_path: Path, pinned_now: int) -> None:
    write_store(store_path, *_week_records())
    assert [r["name"] for r in report_json()] == ["edge", "live", "recent"]
    assert report_json()[0] == row("edge", 100, 100, 0, 1)


def test_cli_by_day_across_the_autumn_change(store_path: Path, berlin: None) -> None:
    write_store(
        store_path,
        rec("a", "0-aaaa", utc(2026, 10, 24, 12, 0, 0), OCT26 + 7200),
    )
    data = report_json("--since", "2026-10-24", "--until", "2026-10-27", "--by", "day")
    assert data == [
        row("2026-10-24", 36000, 36000, 0, 1, by="day"),
        row("2026-10-25", 90000, 90000, 0, 1, by="day"),
        row("2026-10-26", 7200, 7200, 0, 1, by="day"),
    ]


def test_cli_by_day_a_local_date_window_ends_at_that_midnight(
    store_path: Path, berlin: None
) -> None:
    write_store(store_path, rec("a", "0-aaaa", MAR28, MAR31))
    data = report_json("--since", "2026-03-29", "--until", "2026-03-30", "--by", "day")
    assert data == [row("2026-03-29", 82800, 82800, 0, 1, by="day")]


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC"])
def test_installed_command_by_day_uses_the_tz_it_is_given(
    store_path: Path, env: dict[str, str], tz: str
) -> None:
    # 2026-03-28 22:00 CET to 2026-03-30 02:00 CEST, over a window given in UTC.
    write_store(store_path, rec("a", "0-aaaa", MAR29 - 7200, MAR30 + 7200))
    out = subprocess.run(
        [str(PROC), "report", *window(MAR28, MAR31), "--by", "day", "--json"],
        env=dict(env, TZ=tz),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    expected = {
        "Europe/Berlin": [
            row("2026-03-28", 7200, 7200, 0, 1, by="day"),
            row("2026-03-29", 82800, 82800, 0, 1, by="day"),
            row("2026-03-30", 7200, 7200, 0, 1, by="day"),
        ],
        # In UTC the same instants are 2026-03-28 21:00 .. 2026-03-30 00:00.
        "UTC": [
            row("2026-03-28", 10800, 10800, 0, 1, by="day"),
            row("2026-03-29", 86400, 86400, 0, 1, by="day"),
        ],
    }[tz]
    assert json.loads(out.stdout) == expected


def test_cli_json_empty_window_is_an_empty_array(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    assert report_json(*window(5000, 6000)) == []
    assert ok("report", *window(5000, 6000)).stdout == ""


def test_cli_report_on_a_missing_store_is_empty() -> None:
    assert report_json(*window()) == []


def test_cli_csv_header_and_rows_exact(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE, rec("a,b", "0-0005", 1900, 2000))
    out = ok("report", *window(), "--csv").stdout
    assert out == (
        "name,active_s,duration_s,paused_s,count\n"
        '"a,b",100,100,0,1\n'
        "both,800,1000,200,1\n"
        "left,400,500,100,1\n"
        "right,400,500,100,1\n"
    )
    assert list(csv.reader(io.StringIO(out)))[1] == ["a,b", "100", "100", "0", "1"]


def test_cli_csv_by_layer_and_empty(store_path: Path) -> None:
    write_store(store_path, rec("a", "3-aaaa", 1000, 1100))
    assert ok("report", *window(), "--by", "layer", "--csv").stdout == (
        "layer,active_s,duration_s,paused_s,count\n3,100,100,0,1\n"
    )
    assert ok("report", *window(5000, 6000), "--csv").stdout == (
        "name,active_s,duration_s,paused_s,count\n"
    )


def test_cli_plain_output_is_tab_separated_without_a_total(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    out = ok("report", *window()).stdout
    assert out == "both\t800\t1000\t200\t1\nleft\t400\t500\t100\t1\nright\t400\t500\t100\t1\n"
    assert "total" not in out


def cells(line: str) -> list[str]:
    """The cells of a body row of a rich table."""
    return [c.strip() for c in line.strip().strip("│").split("│")]


def table_rows(out: str) -> list[list[str]]:
    return [cells(ln) for ln in out.splitlines() if ln.startswith("│")]


def test_cli_table_output_has_a_total_row(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    out = ok("report", *window(), env={"PROC_OUTPUT": "table"}).stdout
    assert "ACTIVE" in out and "DURATION" in out and "PAUSED" in out and "COUNT" in out
    assert table_rows(out) == [
        *(
            [
                r["name"],
                fmt_duration(r["active_s"]),
                fmt_duration(r["duration_s"]),
                fmt_duration(r["paused_s"]),
                str(r["count"]),
            ]
            for r in WINDOW_ROWS
        ),
        ["total", fmt_duration(1600), fmt_duration(2000), fmt_duration(400), "3"],
    ]
    assert fmt_duration(1600) == "26m40s"


def test_cli_table_output_of_an_empty_report_has_a_zero_total() -> None:
    out = ok("report", *window(), env={"PROC_OUTPUT": "table"}).stdout
    assert table_rows(out) == [["total", "0s", "0s", "0s", "0"]]


# -- usage errors ----------------------------------------------------------------------------


def usage_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("proc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_cli_invalid_by_exits_2(store_path: Path) -> None:
    write_store(store_path, *WINDOW_STORE)
    usage_error(invoke("report", *window(), "--by", "week"), "week", "name, day, layer")


def test_cli_json_and_csv_together_exit_2() -> None:
    usage_error(invoke("report", *window(), "--json", "--csv"), "--json", "--csv")


def test_cli_since_after_until_exits_2() -> None:
    usage_error(invoke("report", *window(HI, LO)), "--since", "--until")


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_cli_bad_time_exits_2(option: str) -> None:
    usage_error(invoke("report", option, "next tuesday"), "next tuesday")


def test_cli_corrupt_store_exits_3(store_path: Path) -> None:
    store_path.write_text("{ not json", encoding="utf-8")
    result = invoke("report", *window(), "--json")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
