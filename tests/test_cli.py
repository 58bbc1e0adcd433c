"""Tests of the ``proc`` command line, run in-process with typer's CliRunner.

Every invocation goes through :func:`invoke`, which also checks that no
traceback reached stdout or stderr and that no exception escaped the app.
CliRunner's stdin and stdout are not terminals, so output is the plain form
unless ``PROC_OUTPUT=table`` forces the rich table.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner, Result

from processes import __version__
from processes.cli import app

RUNNER = CliRunner()
UID_LINE = re.compile(r"\d+-[0-9a-f]{4,}\n")
UID = re.compile(r"\d+-[0-9a-f]{4,}")
BOX_CHARS = set("─━│┃┌┍┎┏┐┓└┗┘┛├┡┤┩┬┳┴┻┼╇╋═║╔╗╚╝")
JSON_KEYS = {
    "name",
    "uid",
    "timeline",
    "layer",
    "state",
    "started_at",
    "ended_at",
    "duration_s",
    "active_s",
}
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
FUTURE = "@99999999999"


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _cli_env(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point proc at ``store_path`` and drop variables that change the output form."""
    monkeypatch.setenv("PROC_STORE", str(store_path))
    for var in ("PROC_OUTPUT", "FORCE_COLOR", "COLUMNS", "PROC_LOCK_TIMEOUT", "TTY_COMPATIBLE"):
        monkeypatch.delenv(var, raising=False)


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``proc ARGS``; fail on any traceback or exception that escaped the app."""
    result = RUNNER.invoke(app, list(args), input=input, env=env)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        text = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        pytest.fail(f"proc {' '.join(args)!r} raised {exc!r}\n{text}")
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run ``proc ARGS`` and require exit 0."""
    result = invoke(*args, env=env)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def fails(result: Result, code: int, *fragments: str) -> None:
    """``result`` exited with ``code``: nothing on stdout, a ``proc: error:`` on stderr."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("proc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def usage_fails(result: Result, *fragments: str) -> None:
    """A usage error caught while parsing the command line: exit 2, stderr says why."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "error" in result.stderr.lower(), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@contextmanager
def unchanged(path: Path) -> Iterator[None]:
    """The store file has the same bytes (or is still absent) after the block."""
    before = _bytes(path)
    yield
    assert _bytes(path) == before, "the store changed"


def start(*args: str) -> str:
    """``proc start ARGS``; returns the UID it printed."""
    result = ok("start", *args)
    assert UID_LINE.fullmatch(result.stdout), result.stdout
    return result.stdout.strip()


def show(target: str) -> dict[str, Any]:
    result = ok("show", target, "--json")
    obj = json.loads(result.stdout)
    assert isinstance(obj, dict)
    return obj


def ls_json(*args: str) -> list[dict[str, Any]]:
    result = ok("ls", "--json", *args)
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def ls_uids(*args: str) -> list[str]:
    return [r["uid"] for r in ls_json(*args)]


def stored(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_bytes())
    assert isinstance(data, dict)
    return data


def graph_json(*args: str) -> dict[str, list[str]]:
    data = json.loads(ok("graph", "--json", *args).stdout)
    assert isinstance(data, dict)
    return data


def no_box(text: str) -> None:
    assert not (set(text) & BOX_CHARS), text


def iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def local_midnight(days_back: int = 0) -> int:
    t = time.localtime()
    return int(time.mktime((t.tm_year, t.tm_mon, t.tm_mday - days_back, 0, 0, 0, 0, 0, -1)))


@pytest.fixture
def history() -> str:
    """start @1000, pause @1100, nested pause @1150, resume @1200, resume @1250, stop @1300."""
    uid = start("a", "--at", "@1000")
    assert ok("pause", "--at", "@1100").stdout == uid + "\n"
    assert ok("pause", uid, "--at", "@1150").stdout == uid + "\n"
    assert ok("resume", "--at", "@1200").stdout == uid + "\n"
    assert ok("resume", "a", "--at", "@1250").stdout == uid + "\n"
    return uid


# -- start --------------------------------------------------------------------------------


def test_start_prints_the_new_uid_alone(store_path: Path) -> None:
    result = ok("start", "writing")
    assert UID_LINE.fullmatch(result.stdout)
    uid = result.stdout.strip()
    assert uid.startswith("0-")
    assert f"started writing ({uid})" in result.stderr
    rec = stored(store_path)["processes"][uid]
    assert rec["name"] == "writing"
    assert rec["uid"] == uid
    assert rec["timeline"]["terminated"] == -1


def test_start_json_is_the_record_with_computed_fields() -> None:
    result = ok("start", "writing", "--json")
    assert "\x1b" not in result.stdout
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["name"] == "writing"
    assert UID.fullmatch(obj["uid"])
    assert obj["layer"] == 0
    assert obj["state"] == "running"
    assert ISO_Z.fullmatch(obj["started_at"])
    assert obj["ended_at"] is None
    # started now and shown at the same instant
    assert obj["duration_s"] == 0
    assert obj["active_s"] == 0
    assert obj["timeline"]["terminated"] == -1
    assert obj["timeline"]["disruptions"] == []
    assert obj["started_at"] == iso(obj["timeline"]["initialized"])
    again = show(obj["uid"])
    assert {k: again[k] for k in ("name", "uid", "timeline", "layer", "state", "started_at")} == {
        k: obj[k] for k in ("name", "uid", "timeline", "layer", "state", "started_at")
    }


@pytest.mark.parametrize("opt", ["--layer", "-l"])
def test_start_on_a_layer(opt: str) -> None:
    uid = start("deploy", opt, "3")
    assert uid.startswith("3-")
    assert show(uid)["layer"] == 3


def test_start_at_an_epoch() -> None:
    uid = start("a", "--at", "@1000")
    obj = show(uid)
    assert obj["timeline"]["initialized"] == 1000
    assert obj["started_at"] == "1970-01-01T00:16:40Z"


def test_layer_zero_allows_parallel_processes() -> None:
    a = start("a")
    b = start("b")
    c = start("a", "-l", "0")
    assert len({a, b, c}) == 3
    assert set(ls_uids("--active")) == {a, b, c}


def test_busy_layer_is_refused_naming_the_active_one(store_path: Path) -> None:
    first = start("build", "-l", "1")
    with unchanged(store_path):
        result = invoke("start", "test", "-l", "1")
    fails(result, 1, first, "build", "--switch")


def test_other_layers_are_independent() -> None:
    start("build", "-l", "1")
    start("other", "-l", "2")
    start("free", "-l", "0")
    assert len(ls_uids("--active")) == 3


def test_layer_is_free_again_after_stop() -> None:
    first = start("build", "-l", "1", "--at", "@1000")
    ok("stop", first, "--at", "@1100")
    second = start("test", "-l", "1", "--at", "@1200")
    assert ls_uids("--active") == [second]


def test_switch_stops_the_active_one_at_the_same_instant() -> None:
    first = start("build", "-l", "1", "--at", "@1000")
    ok("pause", first, "-t", "meeting", "--at", "@1100")
    result = ok("start", "test", "-l", "1", "--switch", "--at", "@1200")
    assert UID_LINE.fullmatch(result.stdout)
    second = result.stdout.strip()
    assert first in result.stderr and "switch" in result.stderr
    old = show(first)
    assert old["state"] == "stopped"
    assert old["timeline"]["terminated"] == 1200
    # the open pause is closed at the same instant
    assert old["timeline"]["disruptions"] == [
        {"meeting": {"initialized": 1100, "terminated": 1200, "disruptions": []}}
    ]
    assert old["duration_s"] == 200
    assert old["active_s"] == 100
    new = show(second)
    assert new["state"] == "running"
    assert new["timeline"]["initialized"] == 1200
    assert ls_uids("--active") == [second]


def test_switch_json_prints_only_the_new_record() -> None:
    first = start("build", "-l", "1", "--at", "@1000")
    result = ok("start", "test", "-l", "1", "--switch", "--at", "@1200", "--json")
    obj = json.loads(result.stdout)
    assert obj["name"] == "test"
    assert obj["uid"] != first
    assert obj["layer"] == 1


def test_switch_on_a_free_layer_just_starts() -> None:
    uid = start("build", "-l", "1", "--switch")
    assert ls_uids() == [uid]


def test_switch_before_the_active_start_is_refused(store_path: Path) -> None:
    start("build", "-l", "1", "--at", "@2000")
    with unchanged(store_path):
        result = invoke("start", "test", "-l", "1", "--switch", "--at", "@1500")
    fails(result, 2)


@pytest.mark.parametrize("layer", ["-1", "abc", "1.5", ""])
def test_start_invalid_layer_is_a_usage_error(store_path: Path, layer: str) -> None:
    with unchanged(store_path):
        result = invoke("start", "x", "--layer", layer)
    usage_fails(result, "--layer")


@pytest.mark.parametrize(
    "name",
    ["a\nb", "a\tb", "a\rb", "\x1b[31mred", "a\x7f", "a\x00b", "a\u2028b", "", "   ", "x" * 201],
)
def test_start_bad_name_is_a_usage_error(store_path: Path, name: str) -> None:
    with unchanged(store_path):
        result = invoke("start", name)
    fails(result, 2, "name")


def test_start_accepts_a_200_character_unicode_name() -> None:
    name = "é" * 199 + "✓"
    uid = start(name)
    assert show(uid)["name"] == name


def test_start_missing_name_is_a_usage_error(store_path: Path) -> None:
    with unchanged(store_path):
        usage_fails(invoke("start"))


# -- the time grammar ---------------------------------------------------------------------


def test_at_iso_forms() -> None:
    a = start("a", "--at", "1970-01-01T00:16:40Z")
    b = start("b", "--at", "1970-01-01T01:16:40+01:00")
    c = start("c", "--at", "1970-01-02T00:00")
    d = start("d", "--at", "1970-01-02 00:00:05")
    assert show(a)["timeline"]["initialized"] == 1000
    assert show(b)["timeline"]["initialized"] == 1000
    assert show(c)["timeline"]["initialized"] == int(datetime(1970, 1, 2).timestamp())
    assert show(d)["timeline"]["initialized"] == int(datetime(1970, 1, 2, 0, 0, 5).timestamp())


@pytest.mark.parametrize(
    ("form", "seconds_ago"),
    [
        ("now", 0),
        ("-15m", 900),
        ("-1h30m", 5400),
        ("15m ago", 900),
        ("2d ago", 172800),
        ("-1w", 604800),
        ("-90s", 90),
    ],
)
def test_at_relative_forms(form: str, seconds_ago: int) -> None:
    before = int(time.time())
    uid = start("a", "--at", form)
    after = int(time.time())
    t = show(uid)["timeline"]["initialized"]
    assert before - seconds_ago <= t <= after - seconds_ago


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("today", lambda: local_midnight(0)),
        ("00:00", lambda: local_midnight(0)),
        ("00:00:00", lambda: local_midnight(0)),
        ("today 00:00", lambda: local_midnight(0)),
        ("yesterday", lambda: local_midnight(1)),
        ("yesterday 12:00", lambda: local_midnight(1) + 12 * 3600),
        ("yesterday 17:05", lambda: local_midnight(1) + 17 * 3600 + 5 * 60),
    ],
)
def test_at_day_forms(form: str, expected: Any) -> None:
    uid = start("a", "--at", form)
    assert show(uid)["timeline"]["initialized"] == expected()


INVALID_TIMES = [
    "yesterdayish",
    "",
    "   ",
    "@",
    "@-5",
    "@1.5",
    "1h",
    "-1x",
    "-1h30",
    "15 ago",
    "25:00",
    "12:60",
    "99:99:99",
    "today 25:00",
    "yesterday 24:00",
    "2026-13-01",
    "2026-02-30",
    "2026-01-01T25:00",
    "1970-01-01T00:00:00+25:00",
    "next tuesday",
    "now+1h",
    "1700000000",
]

TIME_COMMANDS = [
    ("start", "new", "--at"),
    ("stop", "--at"),
    ("pause", "--at"),
    ("resume", "--at"),
    ("ls", "--since"),
    ("ls", "--until"),
]


@pytest.fixture
def paused_store(store_path: Path) -> str:
    """One paused process (so that stop, pause and resume all apply)."""
    uid = start("a", "--at", "@1000")
    ok("pause", "--at", "@1100")
    assert store_path.exists()
    return uid


@pytest.mark.parametrize(
    ("command", "form"),
    [(TIME_COMMANDS[0], form) for form in INVALID_TIMES]
    + [(c, f) for c in TIME_COMMANDS[1:] for f in ("yesterdayish", "", "1h", "25:00", "@1.5")],
    ids=lambda x: x if isinstance(x, str) else " ".join(x),
)
def test_invalid_time_is_a_usage_error_listing_the_forms(
    store_path: Path, paused_store: str, command: tuple[str, ...], form: str
) -> None:
    with unchanged(store_path):
        result = invoke(*command, form)
    fails(result, 2, "accepted", "@EPOCH")


@pytest.mark.parametrize("command", TIME_COMMANDS[:4], ids=lambda c: " ".join(c))
@pytest.mark.parametrize("form", [FUTURE, "2999-01-01T00:00:00Z", "@999999999999"])
def test_future_time_is_refused(
    store_path: Path, paused_store: str, command: tuple[str, ...], form: str
) -> None:
    with unchanged(store_path):
        result = invoke(*command, form)
    fails(result, 2, "future")


def test_stop_before_start_is_refused(store_path: Path) -> None:
    uid = start("a", "--at", "@1000")
    with unchanged(store_path):
        result = invoke("stop", uid, "--at", "@999")
    fails(result, 2, "before")


def test_stop_before_the_last_pause_is_refused(store_path: Path, paused_store: str) -> None:
    with unchanged(store_path):
        fails(invoke("stop", "--at", "@1050"), 2, "before")


def test_pause_before_start_is_refused(store_path: Path) -> None:
    start("a", "--at", "@1000")
    with unchanged(store_path):
        fails(invoke("pause", "--at", "@500"), 2, "before")


def test_resume_before_the_pause_is_refused(store_path: Path, paused_store: str) -> None:
    with unchanged(store_path):
        fails(invoke("resume", "--at", "@1099"), 2, "before")


def test_nested_pause_before_the_outer_one_is_refused(store_path: Path, paused_store: str) -> None:
    with unchanged(store_path):
        fails(invoke("pause", "--at", "@1050"), 2, "before")


def test_start_before_1970_is_refused(store_path: Path) -> None:
    with unchanged(store_path):
        result = invoke("start", "a", "--at", "1969-12-31T23:59:59Z")
    fails(result, 2)


@pytest.mark.parametrize(
    "command",
    [("stop",), ("pause",), ("resume",), ("start", "b", "-l", "1", "--switch")],
    ids=lambda c: " ".join(c),
)
@pytest.mark.parametrize("form", ["-99999999999999w", "1000000000w ago", "1969-12-31T23:59:59Z"])
def test_time_far_in_the_past_is_a_usage_error(
    store_path: Path, command: tuple[str, ...], form: str
) -> None:
    # regression: formatting such a time for the message used to overflow (traceback)
    start("z", "-l", "1", "--at", "@1000")
    ok("pause", "--at", "@1100")
    with unchanged(store_path):
        result = invoke(*command, "--at", form)
    fails(result, 2)


def test_times_lists_the_accepted_forms() -> None:
    result = ok("times")
    assert result.stderr == ""
    for form in ("now", "@", "today", "yesterday", "ago", "09:30", "2026-12-04T09:30Z"):
        assert form in result.stdout


# -- stop, pause, resume ------------------------------------------------------------------


def test_the_reference_history_field_by_field(history: str) -> None:
    result = ok("stop", "--at", "@1300", "--json")
    obj = json.loads(result.stdout)
    assert set(obj) == JSON_KEYS
    assert obj["name"] == "a"
    assert obj["uid"] == history
    assert obj["layer"] == 0
    assert obj["state"] == "stopped"
    assert obj["started_at"] == "1970-01-01T00:16:40Z"
    assert obj["ended_at"] == "1970-01-01T00:21:40Z"
    assert obj["duration_s"] == 300
    assert obj["active_s"] == 150
    assert obj["timeline"] == {
        "initialized": 1000,
        "terminated": 1300,
        "disruptions": [
            {
                "pause": {
                    "initialized": 1100,
                    "terminated": 1250,
                    "disruptions": [
                        {"pause": {"initialized": 1150, "terminated": 1200, "disruptions": []}}
                    ],
                }
            }
        ],
    }
    assert show(history) == obj
    assert ls_json() == [obj]
    lines = ok("ls", "--jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == [obj]


def test_stop_prints_the_uid_and_a_message() -> None:
    uid = start("a", "--at", "@1000")
    result = ok("stop", "--at", "@1300")
    assert result.stdout == uid + "\n"
    assert "stopped a" in result.stderr and uid in result.stderr


def test_states_along_the_history() -> None:
    uid = start("a", "--at", "@1000")
    assert show(uid)["state"] == "running"
    ok("pause", "--at", "@1100")
    assert show(uid)["state"] == "paused"
    ok("pause", "--at", "@1150")
    assert show(uid)["state"] == "paused"
    ok("resume", "--at", "@1200")
    assert show(uid)["state"] == "paused"
    ok("resume", "--at", "@1250")
    assert show(uid)["state"] == "running"
    ok("stop", "--at", "@1300")
    assert show(uid)["state"] == "stopped"


def test_stop_closes_every_open_pause() -> None:
    uid = start("a", "--at", "@1000")
    ok("pause", "--at", "@1100")
    ok("pause", "--at", "@1150", "-t", "call")
    obj = json.loads(ok("stop", uid, "--at", "@1300", "--json").stdout)
    assert obj["timeline"]["disruptions"] == [
        {
            "pause": {
                "initialized": 1100,
                "terminated": 1300,
                "disruptions": [
                    {"call": {"initialized": 1150, "terminated": 1300, "disruptions": []}}
                ],
            }
        }
    ]
    assert obj["duration_s"] == 300
    assert obj["active_s"] == 100


@pytest.mark.parametrize("opt", ["--type", "-t"])
def test_pause_type(opt: str) -> None:
    uid = start("a", "--at", "@1000")
    result = ok("pause", opt, "meeting", "--at", "@1100")
    assert result.stdout == uid + "\n"
    assert "meeting" in result.stderr
    assert show(uid)["timeline"]["disruptions"] == [
        {"meeting": {"initialized": 1100, "terminated": -1, "disruptions": []}}
    ]


def test_pause_and_resume_json() -> None:
    uid = start("a", "--at", "@1000")
    paused = json.loads(ok("pause", "--at", "@1100", "--json").stdout)
    assert paused["uid"] == uid and paused["state"] == "paused"
    assert set(paused) == JSON_KEYS
    resumed = json.loads(ok("resume", "--at", "@1160", "--json").stdout)
    assert resumed["uid"] == uid and resumed["state"] == "running"
    assert resumed["timeline"]["disruptions"] == [
        {"pause": {"initialized": 1100, "terminated": 1160, "disruptions": []}}
    ]


@pytest.mark.parametrize("kind", ["", "a\nb", "a\tb", "x" * 201])
def test_pause_bad_type_is_a_usage_error(store_path: Path, kind: str) -> None:
    start("a")
    with unchanged(store_path):
        fails(invoke("pause", "-t", kind), 2, "type")


def test_target_by_uid_by_name_and_by_default() -> None:
    a = start("a", "--at", "@1000")
    b = start("b", "--at", "@1000")
    assert ok("pause", "b", "--at", "@1100").stdout == b + "\n"
    # resume without target: the one paused process
    assert ok("resume", "--at", "@1200").stdout == b + "\n"
    assert ok("stop", a, "--at", "@1300").stdout == a + "\n"
    # stop without target: the one active process
    assert ok("stop", "--at", "@1300").stdout == b + "\n"
    assert show(a)["state"] == show(b)["state"] == "stopped"


def test_stop_without_target_is_ambiguous_with_two_active(store_path: Path) -> None:
    a = start("a")
    b = start("b")
    with unchanged(store_path):
        result = invoke("stop")
    fails(result, 1, a, b)


def test_stop_by_name_is_ambiguous_with_two_active_of_that_name(store_path: Path) -> None:
    a1 = start("a", "--at", "@1000")
    a2 = start("a", "--at", "@2000")
    start("b")
    with unchanged(store_path):
        result = invoke("stop", "a")
    fails(result, 1, a1, a2)
    assert "(b, " not in result.stderr  # the active "b" is not a candidate


@pytest.mark.parametrize("command", ["pause", "resume", "show"])
def test_other_commands_are_ambiguous_too(store_path: Path, command: str) -> None:
    a = start("a", "--at", "@1000")
    b = start("b", "--at", "@1000")
    ok("pause", a, "--at", "@1100")
    ok("pause", b, "--at", "@1100")
    with unchanged(store_path):
        result = invoke(command)
    fails(result, 1, a, b)


@pytest.mark.parametrize("command", ["stop", "pause", "resume"])
def test_no_process_at_all(store_path: Path, command: str) -> None:
    with unchanged(store_path):
        fails(invoke(command), 1, "no ")
    with unchanged(store_path):
        fails(invoke(command, "nothing"), 1, "nothing")
    with unchanged(store_path):
        fails(invoke(command, "0-abcd"), 1, "0-abcd")


def test_stop_a_stopped_process(store_path: Path) -> None:
    uid = start("a", "--at", "@1000")
    ok("stop", "--at", "@1100")
    with unchanged(store_path):
        fails(invoke("stop", uid), 1, uid, "stopped")
    with unchanged(store_path):
        # by name: the name has no active process; the stopped one is a candidate
        fails(invoke("stop", "a"), 1, uid)


def test_pause_a_stopped_process(store_path: Path) -> None:
    uid = start("a", "--at", "@1000")
    ok("stop", "--at", "@1100")
    with unchanged(store_path):
        fails(invoke("pause", uid), 1, uid, "stopped")


def test_resume_a_running_process(store_path: Path) -> None:
    uid = start("a", "--at", "@1000")
    with unchanged(store_path):
        fails(invoke("resume", uid), 1, uid, "not paused")
    with unchanged(store_path):
        fails(invoke("resume"), 1, uid)


def test_a_uid_wins_over_a_name() -> None:
    a = start("a", "--at", "@1000")
    b = start(a, "--at", "@1000")  # a process named like the first one's UID
    assert ok("stop", a, "--at", "@1100").stdout == a + "\n"
    assert show(b)["state"] == "running"


# -- ls -----------------------------------------------------------------------------------


def test_ls_empty_store() -> None:
    assert ok("ls", "--json").stdout == "[]\n"
    assert ok("ls", "--jsonl").stdout == ""
    assert ok("ls").stdout == ""


@pytest.fixture
def four() -> dict[str, str]:
    """Four processes created out of start order.

    p1 'a' layer 0 1000-1100 stopped; p4 'c' layer 0 1500-4000 stopped;
    p2 'b' layer 1 from 2000 running; p3 'a' layer 2 from 3000 paused at 3100.
    """
    p3 = start("a", "-l", "2", "--at", "@3000")
    ok("pause", p3, "--at", "@3100")
    p1 = start("a", "--at", "@1000")
    ok("stop", p1, "--at", "@1100")
    p2 = start("b", "-l", "1", "--at", "@2000")
    p4 = start("c", "--at", "@1500")
    ok("stop", p4, "--at", "@4000")
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["p1", "p4", "p2", "p3"]),
        (("--running",), ["p2"]),
        (("--paused",), ["p3"]),
        (("--stopped",), ["p1", "p4"]),
        (("--active",), ["p2", "p3"]),
        (("--name", "a"), ["p1", "p3"]),
        (("--name", "zzz"), []),
        (("--layer", "0"), ["p1", "p4"]),
        (("--layer", "2"), ["p3"]),
        (("-l", "1"), ["p2"]),
        (("--layer", "5"), []),
        (("--since", "@1200"), ["p4", "p2", "p3"]),
        (("--until", "@1800"), ["p1", "p4"]),
        (("--since", "@1050", "--until", "@1600"), ["p1", "p4"]),
        (("--limit", "2"), ["p2", "p3"]),
        (("-n", "1"), ["p3"]),
        (("--limit", "0"), []),
        (("--limit", "10"), ["p1", "p4", "p2", "p3"]),
        (("--name", "a", "--stopped"), ["p1"]),
        (("--stopped", "--limit", "1"), ["p4"]),
        (("--active", "--layer", "1"), ["p2"]),
    ],
)
def test_ls_filters_and_order(
    four: dict[str, str], args: tuple[str, ...], expected: list[str]
) -> None:
    want = [four[k] for k in expected]
    assert ls_uids(*args) == want
    lines = ok("ls", "--jsonl", *args).stdout.splitlines()
    assert [json.loads(line)["uid"] for line in lines] == want
    plain = ok("ls", *args).stdout.splitlines()
    assert [line.split("\t")[0] for line in plain] == want


def test_ls_plain_lines(four: dict[str, str]) -> None:
    result = ok("ls", "--stopped")
    no_box(result.stdout)
    assert result.stdout.splitlines() == [
        "\t".join([four["p1"], "a", "stopped", "0", iso(1000), iso(1100), "100", "100"]),
        "\t".join([four["p4"], "c", "stopped", "0", iso(1500), iso(4000), "2500", "2500"]),
    ]
    for line in ok("ls").stdout.splitlines():
        assert len(line.split("\t")) == 8


def test_ls_json_fields(four: dict[str, str]) -> None:
    recs = {r["uid"]: r for r in ls_json()}
    for rec in recs.values():
        assert set(rec) == JSON_KEYS
        assert ISO_Z.fullmatch(rec["started_at"])
    p3 = recs[four["p3"]]
    assert p3["state"] == "paused" and p3["layer"] == 2 and p3["ended_at"] is None
    assert p3["active_s"] == 100  # paused since 3100, 100 s after its start
    assert p3["duration_s"] >= int(time.time()) - 3000 - 5
    p4 = recs[four["p4"]]
    assert p4["state"] == "stopped" and p4["ended_at"] == iso(4000)
    assert p4["duration_s"] == p4["active_s"] == 2500


def test_ls_jsonl_one_object_per_line(four: dict[str, str]) -> None:
    out = ok("ls", "--jsonl").stdout
    assert out.endswith("\n")
    lines = out.splitlines()
    assert len(lines) == 4
    for line in lines:
        assert set(json.loads(line)) == JSON_KEYS
    # Active processes' durations grow with the clock; the two reads may straddle a second.
    def steady(objs: list[dict[str, object]]) -> list[dict[str, object]]:
        drop = {"duration_s", "active_s"}
        return [
            {k: v for k, v in o.items() if o["state"] == "stopped" or k not in drop} for o in objs
        ]

    assert steady([json.loads(line) for line in lines]) == steady(ls_json())


def test_ls_keeps_unknown_record_keys(store_path: Path) -> None:
    rec = {
        "name": "a",
        "uid": "0-abcd",
        "note": "keep me",
        "timeline": {"initialized": 1000, "terminated": 1300, "disruptions": []},
    }
    store_path.write_text(json.dumps({"processes": {"0-abcd": rec}, "extra": {"x": 1}}))
    (obj,) = ls_json()
    assert obj["note"] == "keep me"
    assert obj["duration_s"] == 300
    start("b")  # a rewrite keeps unknown keys
    data = stored(store_path)
    assert data["extra"] == {"x": 1}
    assert data["processes"]["0-abcd"]["note"] == "keep me"


@pytest.mark.parametrize(
    "flags",
    [
        ("--running", "--paused"),
        ("--running", "--stopped"),
        ("--paused", "--active"),
        ("--stopped", "--active"),
        ("--running", "--paused", "--stopped"),
    ],
)
def test_ls_two_state_filters_are_a_usage_error(store_path: Path, flags: tuple[str, ...]) -> None:
    start("a")
    with unchanged(store_path):
        fails(invoke("ls", *flags), 2, *flags)


def test_ls_json_and_jsonl_together_are_a_usage_error(store_path: Path) -> None:
    start("a")
    with unchanged(store_path):
        fails(invoke("ls", "--json", "--jsonl"), 2, "--json", "--jsonl")


@pytest.mark.parametrize(
    "args",
    [("--layer", "-1"), ("--layer", "x"), ("--limit", "-1"), ("--limit", "many"), ("--bogus",)],
)
def test_ls_bad_numbers_are_usage_errors(store_path: Path, args: tuple[str, ...]) -> None:
    start("a")
    with unchanged(store_path):
        usage_fails(invoke("ls", *args))


def test_ls_table_on_request(four: dict[str, str]) -> None:
    result = ok("ls", env={"PROC_OUTPUT": "table", "COLUMNS": "200"})
    assert set(result.stdout) & BOX_CHARS
    for name in ("UID", "NAME", "STATE", "a", "b", "c", four["p1"], four["p3"]):
        assert name in result.stdout
    assert "\x1b" not in result.stdout


def test_no_color_table_has_no_escape_codes(four: dict[str, str]) -> None:
    result = ok("ls", env={"PROC_OUTPUT": "table", "NO_COLOR": "1", "COLUMNS": "200"})
    assert set(result.stdout) & BOX_CHARS
    assert "\x1b" not in result.stdout
    assert four["p2"] in result.stdout


def _colour_codes(text: str) -> list[str]:
    found = []
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        for p in params.split(";"):
            if p.isdigit() and (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
                found.append(p)
    return found


def test_no_color_wins_over_force_color(four: dict[str, str]) -> None:
    env = {"PROC_OUTPUT": "table", "FORCE_COLOR": "1", "COLUMNS": "200"}
    coloured = ok("ls", env=env)
    assert _colour_codes(coloured.stdout), "FORCE_COLOR should colour the states"
    plain = ok("ls", env={**env, "NO_COLOR": "1"})
    assert _colour_codes(plain.stdout) == []
    assert four["p2"] in plain.stdout


def test_json_never_has_colour(four: dict[str, str]) -> None:
    env = {"PROC_OUTPUT": "table", "FORCE_COLOR": "1"}
    cases: list[tuple[str, ...]] = [
        ("ls", "--json"),
        ("ls", "--jsonl"),
        ("show", four["p1"], "--json"),
        ("status", "--json"),
        ("graph", "--json"),
    ]
    for args in cases:
        result = invoke(*args, env=env)
        assert "\x1b" not in result.stdout
        json.loads(result.stdout.splitlines()[0] if args[-1] == "--jsonl" else result.stdout)


@pytest.mark.parametrize("command", ["ls", "status"])
@pytest.mark.parametrize("name", ["[/]", "[bold]x[/bold]", "[red]"])
def test_table_shows_names_literally(command: str, name: str) -> None:
    start(name)
    result = ok(command, env={"PROC_OUTPUT": "table", "COLUMNS": "200"})
    assert name in result.stdout


def test_show_and_graph_tables_show_bracket_names_literally() -> None:
    uid = start("[/]")
    ok("link", "[/]", "[red]x")
    env = {"PROC_OUTPUT": "table", "COLUMNS": "200"}
    assert "[/]" in ok("show", uid, env=env).stdout
    out = ok("graph", env=env).stdout
    assert "[/]" in out and "[red]x" in out


# -- show ---------------------------------------------------------------------------------


def test_show_plain_draws_the_disruption_tree(history: str) -> None:
    ok("stop", "--at", "@1300")
    out = ok("show", history).stdout
    no_box(out)
    lines = out.splitlines()
    assert lines[0] == f"a ({history}): stopped, layer 0"
    assert "(300 s)" in out and "(150 s)" in out
    tree = [line for line in lines if line.lstrip().startswith("pause:")]
    assert len(tree) == 2
    assert tree[0].startswith("  pause:") and not tree[0].startswith("   ")
    assert tree[1].startswith("    pause:")
    assert "(2m30s)" in tree[0] and "(50s)" in tree[1]


def test_show_table_draws_a_tree(history: str) -> None:
    out = ok("show", history, env={"PROC_OUTPUT": "table", "COLUMNS": "200"}).stdout
    assert set(out) & BOX_CHARS
    assert history in out and "pause" in out


def test_show_by_name_means_active_else_latest() -> None:
    old = start("a", "--at", "@1000")
    ok("stop", old, "--at", "@1100")
    new = start("a", "--at", "@2000")
    assert show("a")["uid"] == new
    ok("stop", new, "--at", "@2100")
    assert show("a")["uid"] == new
    assert show(old)["uid"] == old
    assert show(old)["ended_at"] == iso(1100)


def test_show_without_target_is_the_one_active() -> None:
    uid = start("a")
    assert json.loads(ok("show", "--json").stdout)["uid"] == uid


def test_show_unknown_target() -> None:
    fails(invoke("show", "nothing"), 1, "nothing")
    fails(invoke("show", "0-abcd"), 1, "0-abcd")
    fails(invoke("show"), 1)


def test_show_has_no_jsonl() -> None:
    start("a")
    usage_fails(invoke("show", "a", "--jsonl"))


# -- status -------------------------------------------------------------------------------


def test_status_with_nothing_active() -> None:
    result = invoke("status")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no active process" in result.stderr
    result = invoke("status", "--json")
    assert result.exit_code == 1
    assert result.stdout == "[]\n"


def test_status_counts_only_active_processes() -> None:
    uid = start("a", "--at", "@1000")
    ok("stop", uid, "--at", "@1100")
    assert invoke("status").exit_code == 1


def test_status_lists_running_and_paused() -> None:
    a = start("a", "--at", "@1000")
    b = start("b", "--at", "@900")
    ok("pause", a, "--at", "@1100")
    stopped = start("c", "--at", "@800")
    ok("stop", stopped, "--at", "@850")
    result = ok("status")
    no_box(result.stdout)
    assert [line.split("\t")[:3] for line in result.stdout.splitlines()] == [
        [b, "b", "running"],
        [a, "a", "paused"],
    ]
    recs = json.loads(ok("status", "--json").stdout)
    assert [(r["uid"], r["state"]) for r in recs] == [(b, "running"), (a, "paused")]
    for rec in recs:
        assert set(rec) == JSON_KEYS


@pytest.mark.parametrize("opt", ["--quiet", "-q"])
def test_status_quiet_prints_nothing(opt: str) -> None:
    result = invoke("status", opt)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")
    start("a")
    result = invoke("status", opt)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_status_table_on_request() -> None:
    start("alpha")
    result = ok("status", env={"PROC_OUTPUT": "table", "COLUMNS": "200"})
    assert set(result.stdout) & BOX_CHARS
    assert "alpha" in result.stdout


# -- rm -----------------------------------------------------------------------------------


def test_rm_with_yes_removes_and_prints_the_uids(store_path: Path) -> None:
    a = start("a")
    b = start("b")
    c = start("c")
    result = ok("rm", a, c, "--yes")
    assert result.stdout.splitlines() == [a, c]
    assert "removed" in result.stderr
    assert ls_uids() == [b]
    assert set(stored(store_path)["processes"]) == {b}


def test_rm_short_yes() -> None:
    a = start("a")
    assert ok("rm", "-y", a).stdout == a + "\n"
    assert ls_uids() == []


def test_rm_without_yes_refuses_off_a_terminal(store_path: Path) -> None:
    a = start("a")
    with unchanged(store_path):
        fails(invoke("rm", a), 2, "--yes")
    with unchanged(store_path):
        # input that would say yes is not read: nothing prompts off a terminal
        result = invoke("rm", a, input="y\n")
    fails(result, 2, "--yes")
    assert ls_uids() == [a]


def test_rm_unknown_uid_removes_nothing(store_path: Path) -> None:
    a = start("a")
    with unchanged(store_path):
        fails(invoke("rm", "0-ffff", "--yes"), 1, "0-ffff")
    with unchanged(store_path):
        fails(invoke("rm", a, "9-dead", "--yes"), 1, "9-dead")
    assert ls_uids() == [a]


def test_rm_all_with_yes_clears_processes_and_keeps_the_mindmap(store_path: Path) -> None:
    start("a")
    start("b")
    ok("link", "a", "b")
    result = ok("rm", "--all", "--yes")
    assert result.stdout == ""
    assert "2" in result.stderr
    assert ls_json() == []
    assert stored(store_path)["processes"] == {}
    assert graph_json() == {"a": ["b"], "b": []}


def test_rm_all_without_yes_refuses(store_path: Path) -> None:
    start("a")
    with unchanged(store_path):
        fails(invoke("rm", "--all"), 2, "--yes")


@pytest.mark.parametrize("args", [(), ("--yes",), ("--all", "0-abcd", "--yes")])
def test_rm_usage_errors(store_path: Path, args: tuple[str, ...]) -> None:
    start("a")
    with unchanged(store_path):
        fails(invoke("rm", *args), 2)


@pytest.fixture
def terminal_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make CliRunner's stdin claim to be a terminal."""
    monkeypatch.setattr(
        typer.testing._NamedTextIOWrapper,
        "isatty",
        lambda self: self.name == "<stdin>",
        raising=False,
    )


def test_rm_asks_on_a_terminal(store_path: Path, terminal_stdin: None) -> None:
    a = start("a")
    b = start("b")
    with unchanged(store_path):
        declined = invoke("rm", a, input="n\n")
    assert declined.exit_code == 1
    assert "Remove" in declined.stderr
    assert a not in declined.stdout.splitlines()
    accepted = invoke("rm", a, input="y\n")
    assert accepted.exit_code == 0
    assert "Remove" in accepted.stderr
    assert a in accepted.stdout.splitlines()
    assert ls_uids() == [b]


# -- link, unlink, graph ------------------------------------------------------------------


def test_link_adds_an_edge(store_path: Path) -> None:
    result = ok("link", "a", "b")
    assert result.stdout == ""
    assert "a -> b" in result.stderr
    assert graph_json() == {"a": ["b"], "b": []}
    assert stored(store_path)["mindmap"] == {"a": ["b"], "b": []}


def test_link_twice_never_duplicates() -> None:
    ok("link", "a", "b")
    result = ok("link", "a", "b")
    assert result.stdout == ""
    assert "already" in result.stderr
    assert graph_json() == {"a": ["b"], "b": []}


def test_link_reverse_and_both() -> None:
    ok("link", "a", "b", "--reverse")
    assert graph_json() == {"a": [], "b": ["a"]}
    ok("link", "c", "d", "--both")
    mm = graph_json()
    assert mm["c"] == ["d"] and mm["d"] == ["c"]


def test_link_both_and_reverse_together_is_a_usage_error(store_path: Path) -> None:
    with unchanged(store_path):
        fails(invoke("link", "a", "b", "--both", "--reverse"), 2)
    with unchanged(store_path):
        fails(invoke("unlink", "a", "b", "--both", "--reverse"), 2)


@pytest.mark.parametrize("bad", ["", "a\nb", "x\x1by"])
def test_link_bad_node_name(store_path: Path, bad: str) -> None:
    with unchanged(store_path):
        fails(invoke("link", "a", bad), 2)
    with unchanged(store_path):
        fails(invoke("link", bad, "a"), 2)


def test_link_missing_argument_is_a_usage_error(store_path: Path) -> None:
    with unchanged(store_path):
        usage_fails(invoke("link", "a"))


def test_unlink(store_path: Path) -> None:
    ok("link", "a", "b", "--both")
    result = ok("unlink", "a", "b")
    assert result.stdout == ""
    assert "a -> b" in result.stderr
    assert graph_json() == {"a": [], "b": ["a"]}
    with unchanged(store_path):
        fails(invoke("unlink", "a", "b"), 1, "a -> b")
    ok("unlink", "a", "b", "--reverse")
    assert graph_json() == {"a": [], "b": []}


def test_unlink_both() -> None:
    ok("link", "a", "b", "--both")
    ok("unlink", "b", "a", "--both")
    assert graph_json() == {"a": [], "b": []}


def test_unlink_unknown_nodes(store_path: Path) -> None:
    with unchanged(store_path):
        fails(invoke("unlink", "x", "y"), 1)


def test_graph_cycle_is_marked_and_not_followed() -> None:
    ok("link", "a", "b")
    ok("link", "b", "a")
    result = ok("graph")
    no_box(result.stdout)
    lines = result.stdout.splitlines()
    assert sum("(cycle)" in line for line in lines) == 1
    assert len(lines) == 3
    assert {line.strip().split(" ")[0] for line in lines} == {"a", "b"}
    # indentation grows along the path
    depths = [len(line) - len(line.lstrip(" ")) for line in lines]
    assert depths == sorted(depths) and depths[0] == 0 and len(set(depths)) == 3
    assert "(cycle)" in lines[-1]
    assert graph_json() == {"a": ["b"], "b": ["a"]}


def test_graph_self_loop_terminates() -> None:
    ok("link", "a", "a")
    lines = ok("graph").stdout.splitlines()
    assert len(lines) == 2 and "(cycle)" in lines[1]


def test_graph_diamond_is_not_a_cycle() -> None:
    for src, dst in (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")):
        ok("link", src, dst)
    out = ok("graph").stdout
    assert "(cycle)" not in out
    assert out.splitlines()[0].startswith("a ")


def test_graph_states_are_those_of_the_latest_process() -> None:
    old = start("a", "--at", "@1000")
    ok("stop", old, "--at", "@1100")
    new = start("a", "--at", "@2000")
    ok("link", "a", "b")
    lines = ok("graph").stdout.splitlines()
    assert lines[0] == "a [running]"
    assert lines[1].strip() == "b [no process]"
    ok("pause", new)
    assert ok("graph").stdout.splitlines()[0] == "a [paused]"
    ok("stop", new)
    assert ok("graph").stdout.splitlines()[0] == "a [stopped]"


def test_graph_of_one_node() -> None:
    ok("link", "a", "b")
    ok("link", "b", "c")
    ok("link", "x", "y")
    lines = ok("graph", "b").stdout.splitlines()
    assert [line.strip().split(" ")[0] for line in lines] == ["b", "c"]
    assert graph_json("b") == {"b": ["c"], "c": []}


def test_graph_unknown_node() -> None:
    ok("link", "a", "b")
    fails(invoke("graph", "zz"), 1, "zz")


def test_graph_empty() -> None:
    assert ok("graph").stdout == ""
    assert ok("graph", "--json").stdout == "{}\n"


def test_graph_table_on_request() -> None:
    ok("link", "a", "b")
    ok("link", "b", "a")
    out = ok("graph", env={"PROC_OUTPUT": "table", "COLUMNS": "200"}).stdout
    assert set(out) & BOX_CHARS
    assert "(cycle)" in out and "a [" in out and "b [" in out


# -- global options -----------------------------------------------------------------------


def test_version() -> None:
    result = ok("--version")
    assert result.stdout == f"proc {__version__}\n"
    assert result.stderr == ""


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help(opt: str) -> None:
    result = ok(opt)
    assert result.stdout.startswith("Usage:")
    for command in (
        "start",
        "stop",
        "pause",
        "resume",
        "ls",
        "show",
        "status",
        "rm",
        "link",
        "unlink",
        "graph",
        "--store",
        "--quiet",
        "--version",
        "Exit codes",
    ):
        assert command in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("start", ["--layer", "-l", "--at", "--switch", "--json"]),
        ("stop", ["--at", "--json"]),
        ("pause", ["--type", "-t", "--at", "--json"]),
        ("resume", ["--at", "--json"]),
        (
            "ls",
            [
                "--running",
                "--paused",
                "--stopped",
                "--active",
                "--name",
                "--layer",
                "--since",
                "--until",
                "--limit",
                "--json",
                "--jsonl",
            ],
        ),
        ("show", ["--json"]),
        ("status", ["--json", "--quiet"]),
        ("rm", ["--all", "--yes"]),
        ("link", ["--both", "--reverse"]),
        ("unlink", ["--both", "--reverse"]),
        ("graph", ["--json"]),
    ],
)
def test_command_help(store_path: Path, command: str, options: list[str]) -> None:
    with unchanged(store_path):
        result = ok(command, "-h")
    assert result.stdout.startswith("Usage:")
    for option in options:
        assert option in result.stdout, option
    assert result.stderr == ""


def test_no_arguments_shows_usage() -> None:
    result = invoke()
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_unknown_command_is_a_usage_error() -> None:
    usage_fails(invoke("bogus"), "bogus")


@pytest.mark.parametrize(
    "args", [("start", "x", "--layer", "-1"), ("ls", "--limit", "x"), ("ls", "--bogus")]
)
def test_parse_errors_use_the_proc_error_form(args: tuple[str, ...]) -> None:
    fails(invoke(*args), 2)


def test_quiet_suppresses_confirmations_only(store_path: Path) -> None:
    for flag in ("-q", "--quiet"):
        result = ok(flag, "start", "a")
        assert UID_LINE.fullmatch(result.stdout)
        assert result.stderr == ""
    result = ok("-q", "link", "a", "b")
    assert result.stderr == ""
    result = ok("-q", "rm", "--all", "--yes")
    assert result.stderr == ""
    result = invoke("-q", "status")
    assert (result.exit_code, result.stderr) == (1, "")
    # errors are still reported
    fails(invoke("-q", "stop"), 1, "no active process")


def test_store_option_overrides_proc_store(tmp_path: Path, store_path: Path) -> None:
    other = tmp_path / "elsewhere" / "other.json"
    uid = start("a")
    result = ok("--store", str(other), "start", "b")
    other_uid = result.stdout.strip()
    assert set(stored(other)["processes"]) == {other_uid}
    assert set(stored(store_path)["processes"]) == {uid}
    assert ls_uids() == [uid]
    assert [r["uid"] for r in json.loads(ok("--store", str(other), "ls", "--json").stdout)] == [
        other_uid
    ]


def test_proc_store_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env-store.json"
    monkeypatch.setenv("PROC_STORE", str(path))
    uid = start("a")
    assert set(stored(path)["processes"]) == {uid}


def test_default_store_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    monkeypatch.delenv("PROC_STORE")
    default = Path(platformdirs.user_data_dir("proc", appauthor=False)) / "processes.json"
    assert tmp_path in default.parents, "refusing to touch the real user data directory"
    uid = start("a")
    assert set(stored(default)["processes"]) == {uid}


def test_read_only_commands_do_not_create_the_store(store_path: Path) -> None:
    for args in (("ls",), ("ls", "--json"), ("show", "x"), ("graph",), ("status",)):
        invoke(*args)
        assert not store_path.exists(), args


# -- a store that cannot be read ----------------------------------------------------------

BAD_STORES = {
    "garbage": b"this is not json\n",
    "empty": b"",
    "binary": b"\xff\xfe\x00garbage",
    "list": b"[]",
    "wrong-types": b'{"processes": []}',
    "uid-mismatch": (
        b'{"processes": {"0-abcd": {"name": "a", "uid": "0-ffff", "timeline": '
        b'{"initialized": 1, "terminated": -1, "disruptions": []}}}}'
    ),
    "ends-before-start": (
        b'{"processes": {"0-abcd": {"name": "a", "uid": "0-abcd", "timeline": '
        b'{"initialized": 10, "terminated": 5, "disruptions": []}}}}'
    ),
    "bad-mindmap": b'{"processes": {}, "mindmap": {"a": "b"}}',
}

ALL_COMMANDS = [
    ("ls",),
    ("ls", "--json"),
    ("ls", "--jsonl", "--running"),
    ("start", "x"),
    ("start", "x", "--json", "-l", "1", "--switch"),
    ("stop",),
    ("stop", "0-abcd", "--at", "@1000"),
    ("pause",),
    ("pause", "a", "-t", "call"),
    ("resume",),
    ("show", "0-abcd"),
    ("show", "a", "--json"),
    ("status",),
    ("status", "--json"),
    ("status", "--quiet"),
    ("rm", "0-abcd", "--yes"),
    ("rm", "--all", "--yes"),
    ("link", "a", "b"),
    ("unlink", "a", "b"),
    ("graph",),
    ("graph", "--json"),
]


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c))
@pytest.mark.parametrize("kind", sorted(BAD_STORES))
def test_bad_store_is_exit_3_and_left_alone(
    store_path: Path, kind: str, command: tuple[str, ...]
) -> None:
    store_path.write_bytes(BAD_STORES[kind])
    with unchanged(store_path):
        result = invoke(*command)
    fails(result, 3, str(store_path))


def test_store_option_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{oops")
    with unchanged(bad):
        fails(invoke("--store", str(bad), "ls"), 3, str(bad))


def test_store_that_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    fails(invoke("--store", str(folder), "ls"), 3, str(folder))
    fails(invoke("--store", str(folder), "start", "a"), 3, str(folder))


def test_store_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    path = blocker / "sub" / "store.json"
    fails(invoke("--store", str(path), "start", "a"), 3, str(path))
    assert blocker.read_text() == "x"


# -- the console entry point's fast path gives the same results as the Typer app ---------

PARITY_STEPS: list[tuple[str, ...]] = [
    ("start", "a", "--at", "@1000"),
    ("start", "b", "-l", "1", "--at", "@1000"),
    ("start", "c", "--layer", "1", "--at", "@1100"),
    ("start", "c", "-l", "1", "--switch", "--at", "@1100", "--json"),
    ("pause", "a", "--at", "@1100"),
    ("pause", "a", "-t", "call", "--at", "@1150", "--json"),
    ("resume", "--at", "@1200"),
    ("resume", "a", "--at=@1250"),
    ("resume", "a"),
    ("status", "-q"),
    ("stop",),
    ("stop", "a", "--at", "@999"),
    ("stop", "a", "--at", "@1300", "--json"),
    ("stop", "c", "--at", FUTURE),
    ("stop", "c", "--at", "@1400"),
    ("stop", "a"),
    ("-q", "start", "q", "--at", "@1500"),
    ("stop", "q", "--at", "bogus"),
    ("--quiet", "stop", "q", "--at", "@1600"),
    ("start", "x\ny"),
    ("start", "x", "--layer", "-1"),
    ("start", "x", "--layer", "one"),
    ("start",),
    ("ls",),
    ("ls", "--json"),
    ("ls", "--jsonl"),
    ("ls", "--stopped", "--name", "a"),
    ("ls", "--running", "--paused"),
    ("ls", "--json", "--jsonl"),
    ("ls", "-n", "1"),
    ("ls", "--limit", "2", "--layer", "1"),
    ("ls", "-l", "x"),
    ("ls", "--since", "@1350", "--until", "@1450"),
    ("ls", "--until", "bogus"),
    ("ls", "--bogus"),
    ("show", "a"),
    ("show", "a", "--json"),
    ("show", "nothing"),
    ("show",),
    ("status",),
    ("status", "--json"),
    ("status", "--quiet"),
]

_ANY_UID = re.compile(r"\b\d+-[0-9a-f]{4,}\b")


def _entry(args: tuple[str, ...], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``processes.entry.main`` (what the installed ``proc`` runs) in isolation."""
    import sys

    from processes import entry

    with RUNNER.isolation(env=env) as (out, err, _):
        try:
            entry.main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()


def _same(text: str) -> str:
    return _ANY_UID.sub("<uid>", text)


def test_entry_fast_path_matches_the_typer_app(tmp_path: Path) -> None:
    via_app = {"PROC_STORE": str(tmp_path / "app.json")}
    via_entry = {"PROC_STORE": str(tmp_path / "entry.json")}
    for args in PARITY_STEPS:
        expected = invoke(*args, env=via_app)
        code, out, err = _entry(args, via_entry)
        assert "Traceback" not in out + err, (args, err)
        assert code == expected.exit_code, (args, code, expected.exit_code, err)
        assert _same(out) == _same(expected.stdout), args
        assert _same(err) == _same(expected.stderr), args

    def records(path: Path) -> list[Any]:
        recs = stored(path)["processes"].values()
        return sorted(
            (rec["name"], rec["timeline"], rec["uid"].split("-")[0], sorted(rec)) for rec in recs
        )

    assert records(tmp_path / "app.json") == records(tmp_path / "entry.json")
