"""Pure functions of processes.timeline on plain-dict records, with exact numbers."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from processes import timeline as tlm

T0 = 1_796_376_600  # 2026-12-04T09:30:00Z


def tl(init: int, term: int = -1, *dis: dict[str, Any]) -> dict[str, Any]:
    return {"initialized": init, "terminated": term, "disruptions": list(dis)}


def dis(kind: str, init: int, term: int = -1, *nested: dict[str, Any]) -> dict[str, Any]:
    return {kind: tl(init, term, *nested)}


def rec(timeline: dict[str, Any], uid: str = "0-abcd", name: str = "work") -> dict[str, Any]:
    return {"name": name, "uid": uid, "timeline": timeline}


@pytest.fixture
def other_tz() -> Iterator[None]:
    """A local time zone far from UTC, to show that UTC output does not depend on it."""
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("TZ", "America/New_York")
            time.tzset()
            yield
    finally:
        time.tzset()


# -- state -------------------------------------------------------------------------------


def test_state_running_without_disruptions() -> None:
    r = rec(tl(T0))
    assert tlm.state(r) == "running"
    assert tlm.is_active(r) is True


def test_state_running_after_closed_disruptions() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 10, T0 + 20), dis("call", T0 + 30, T0 + 40)))
    assert tlm.state(r) == "running"


def test_state_paused_with_open_disruption() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 10, T0 + 20), dis("call", T0 + 30)))
    assert tlm.state(r) == "paused"
    assert tlm.is_active(r) is True


def test_state_paused_with_nested_open_disruption() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 10, -1, dis("lunch", T0 + 20))))
    assert tlm.state(r) == "paused"


def test_state_stopped() -> None:
    r = rec(tl(T0, T0 + 100, dis("pause", T0 + 10, T0 + 20)))
    assert tlm.state(r) == "stopped"
    assert tlm.is_active(r) is False


def test_state_stopped_in_its_first_second() -> None:
    assert tlm.state(rec(tl(T0, T0))) == "stopped"


def test_state_without_disruptions_key() -> None:
    r = rec({"initialized": T0, "terminated": -1})
    assert tlm.state(r) == "running"
    assert tlm.duration_s(r, now=T0 + 7) == 7
    assert tlm.active_s(r, now=T0 + 7) == 7


# -- duration_s and active_s -------------------------------------------------------------


def test_same_second_lasts_zero() -> None:
    r = rec(tl(T0, T0))
    assert tlm.duration_s(r, now=T0 + 500) == 0
    assert tlm.active_s(r, now=T0 + 500) == 0
    assert tlm.spans(r, now=T0 + 500) == (0, 0)


def test_duration_of_stopped_ignores_now() -> None:
    r = rec(tl(T0, T0 + 150))
    assert tlm.duration_s(r, now=T0 + 10_000) == 150
    assert tlm.active_s(r, now=T0 + 10_000) == 150


def test_duration_of_running_runs_to_now() -> None:
    r = rec(tl(T0))
    assert tlm.duration_s(r, now=T0 + 42) == 42
    assert tlm.active_s(r, now=T0 + 42) == 42


def test_duration_defaults_now_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: T0 + 61.9)
    r = rec(tl(T0))
    assert tlm.duration_s(r) == 61
    assert tlm.active_s(r) == 61
    assert tlm.enrich(r)["duration_s"] == 61


def test_active_subtracts_top_level_disruptions() -> None:
    r = rec(tl(T0, T0 + 1000, dis("pause", T0 + 100, T0 + 200), dis("call", T0 + 300, T0 + 450)))
    assert tlm.duration_s(r) == 1000
    assert tlm.active_s(r) == 1000 - 100 - 150


def test_nested_disruptions_do_not_count_twice() -> None:
    outer = dis(
        "pause",
        T0 + 100,
        T0 + 400,
        dis("lunch", T0 + 150, T0 + 250),
        dis("call", T0 + 300, T0 + 400),
    )
    r = rec(tl(T0, T0 + 1000, outer))
    assert tlm.active_s(r) == 1000 - 300
    assert tlm.spans(r) == (1000, 300)


def test_overlapping_siblings_counted_once() -> None:
    r = rec(
        tl(
            T0,
            T0 + 1000,
            dis("pause", T0 + 100, T0 + 300),
            dis("call", T0 + 200, T0 + 400),
            dis("mail", T0 + 250, T0 + 260),  # inside both
            dis("pause", T0 + 400, T0 + 500),  # touches the previous union
            dis("pause", T0 + 700, T0 + 800),  # separate
        )
    )
    # union: [100, 500) and [700, 800) -> 400 + 100
    assert tlm.spans(r) == (1000, 500)
    assert tlm.active_s(r) == 500


def test_zero_length_disruption_costs_nothing() -> None:
    r = rec(tl(T0, T0 + 100, dis("pause", T0 + 50, T0 + 50)))
    assert tlm.active_s(r) == 100


def test_disruptions_clipped_to_the_process() -> None:
    # Not valid in a store, but the arithmetic must still clip to the process's life.
    r = rec(tl(T0 + 100, T0 + 1000, dis("pause", T0 + 50, T0 + 150), dis("x", T0 + 900, T0 + 1200)))
    assert tlm.spans(r) == (900, 50 + 100)
    assert tlm.active_s(r) == 750


def test_open_disruption_ends_at_now() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 100, T0 + 200), dis("pause", T0 + 600)))
    assert tlm.duration_s(r, now=T0 + 1000) == 1000
    assert tlm.active_s(r, now=T0 + 1000) == 1000 - 100 - 400
    assert tlm.active_s(r, now=T0 + 600) == 500


def test_open_nested_disruption_ends_at_now_without_double_count() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 100, -1, dis("lunch", T0 + 200))))
    assert tlm.spans(r, now=T0 + 1000) == (1000, 900)
    assert tlm.active_s(r, now=T0 + 1000) == 100


def test_open_disruption_of_a_stopped_record_is_clipped_at_the_end() -> None:
    r = rec(tl(T0, T0 + 800, dis("pause", T0 + 600)))
    assert tlm.active_s(r, now=T0 + 5000) == 600


def test_fully_paused_process_has_no_active_time() -> None:
    r = rec(tl(T0, T0 + 300, dis("pause", T0, T0 + 300)))
    assert tlm.spans(r) == (300, 300)
    assert tlm.active_s(r) == 0


# -- spans with a window -----------------------------------------------------------------


WINDOWED = rec(
    tl(T0 + 100, T0 + 1000, dis("pause", T0 + 200, T0 + 300), dis("p", T0 + 500, T0 + 700))
)


def test_spans_without_window_is_the_whole_life() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000) == (900, 300)


def test_spans_window_cuts_both_sides() -> None:
    # process cut to [250, 600]; pauses cut to [250, 300] and [500, 600]
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=T0 + 250, hi=T0 + 600) == (350, 150)


def test_spans_window_cuts_only_the_start() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=T0 + 600) == (400, 100)


def test_spans_window_cuts_only_the_end() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=None, hi=T0 + 250) == (150, 50)


def test_spans_window_wider_than_the_life() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=T0, hi=T0 + 4000) == (900, 300)


def test_spans_window_between_pauses() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=T0 + 320, hi=T0 + 480) == (160, 0)


def test_spans_window_inside_a_pause() -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=T0 + 520, hi=T0 + 540) == (20, 20)


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(T0, T0 + 50), (T0, T0 + 100), (T0 + 1000, T0 + 2000), (T0 + 2000, T0 + 3000)],
)
def test_spans_window_outside_the_life_is_zero(lo: int, hi: int) -> None:
    assert tlm.spans(WINDOWED, now=T0 + 5000, lo=lo, hi=hi) == (0, 0)


def test_spans_of_running_process_window_cuts_open_pause() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 400)))
    assert tlm.spans(r, now=T0 + 1000) == (1000, 600)
    assert tlm.spans(r, now=T0 + 1000, lo=T0 + 300, hi=T0 + 500) == (200, 100)
    # hi defaults to now, and nothing counts after now
    assert tlm.spans(r, now=T0 + 1000, lo=T0 + 900) == (100, 100)
    assert tlm.spans(r, now=T0 + 1000, lo=T0 + 900, hi=T0 + 3000) == (100, 100)


def test_spans_window_with_nested_disruptions() -> None:
    r = rec(tl(T0, T0 + 1000, dis("pause", T0 + 100, T0 + 500, dis("in", T0 + 200, T0 + 300))))
    assert tlm.spans(r, lo=T0 + 250, hi=T0 + 600) == (350, 250)


# -- enrich --------------------------------------------------------------------------------


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_enrich_running(other_tz: None) -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 10, T0 + 40)), uid="3-beef", name="build")
    r["custom"] = {"kept": True}
    before = copy.deepcopy(r)
    out = tlm.enrich(r, now=T0 + 100)
    assert r == before  # the input is not modified
    assert out is not r
    assert out == {
        **before,
        "layer": 3,
        "state": "running",
        "started_at": "2026-12-04T09:30:00Z",
        "ended_at": None,
        "duration_s": 100,
        "active_s": 70,
    }


def test_enrich_stopped(other_tz: None) -> None:
    r = rec(tl(T0, T0 + 3725, dis("pause", T0 + 5, T0 + 25)), uid="12-0a0b0c")
    before = copy.deepcopy(r)
    out = tlm.enrich(r, now=T0 + 99_999)
    assert r == before
    assert out["layer"] == 12
    assert out["state"] == "stopped"
    assert out["started_at"] == _iso(T0)
    assert out["ended_at"] == _iso(T0 + 3725) == "2026-12-04T10:32:05Z"
    assert out["duration_s"] == 3725
    assert out["active_s"] == 3705


def test_enrich_paused_does_not_touch_nested_input() -> None:
    r = rec(tl(T0, -1, dis("pause", T0 + 10, -1, dis("x", T0 + 20))))
    before = copy.deepcopy(r)
    out = tlm.enrich(r, now=T0 + 50)
    assert r == before
    assert out["state"] == "paused"
    assert out["duration_s"] == 50
    assert out["active_s"] == 10
    assert out["ended_at"] is None


def test_enrich_same_second() -> None:
    out = tlm.enrich(rec(tl(T0, T0)), now=T0 + 10)
    assert out["duration_s"] == 0
    assert out["active_s"] == 0
    assert out["started_at"] == out["ended_at"] == _iso(T0)


def test_enrich_bad_uid_raises() -> None:
    with pytest.raises(ValueError):
        tlm.enrich(rec(tl(T0), uid="nope"), now=T0)


def test_iso_epoch_zero() -> None:
    assert tlm.iso(0) == "1970-01-01T00:00:00Z"


# -- open_chain, add_pause, close_innermost, close_open ------------------------------------


def test_open_chain_empty_when_running_or_stopped() -> None:
    assert tlm.open_chain(tl(T0)) == []
    assert tlm.open_chain(tl(T0, -1, dis("pause", T0 + 1, T0 + 2))) == []
    assert tlm.open_chain(tl(T0, T0 + 5, dis("pause", T0 + 1, T0 + 2))) == []


def test_open_chain_outermost_to_innermost() -> None:
    inner = dis("lunch", T0 + 30)
    middle = dis("call", T0 + 20, -1, dis("old", T0 + 21, T0 + 22), inner)
    outer = dis("pause", T0 + 10, -1, middle)
    t = tl(T0, -1, dis("pause", T0 + 1, T0 + 5), outer)
    chain = tlm.open_chain(t)
    assert [k for k, _ in chain] == ["pause", "call", "lunch"]
    assert chain[0][1] is outer["pause"]
    assert chain[1][1] is middle["call"]
    assert chain[2][1] is inner["lunch"]


def test_add_pause_on_running_appends_at_top_level() -> None:
    t = tl(T0, -1, dis("pause", T0 + 1, T0 + 2))
    sub = tlm.add_pause(t, "meeting", T0 + 10)
    assert sub == {"initialized": T0 + 10, "terminated": -1, "disruptions": []}
    assert t["disruptions"][-1] == {"meeting": sub}
    assert t["disruptions"][-1]["meeting"] is sub
    assert len(t["disruptions"]) == 2


def test_add_pause_nests_inside_innermost_open() -> None:
    t = tl(T0)
    first = tlm.add_pause(t, "pause", T0 + 10)
    second = tlm.add_pause(t, "call", T0 + 20)
    third = tlm.add_pause(t, "lunch", T0 + 30)
    assert len(t["disruptions"]) == 1
    assert first["disruptions"] == [{"call": second}]
    assert second["disruptions"] == [{"lunch": third}]
    assert [k for k, _ in tlm.open_chain(t)] == ["pause", "call", "lunch"]


def test_add_pause_without_disruptions_key() -> None:
    t: dict[str, Any] = {"initialized": T0, "terminated": -1}
    sub = tlm.add_pause(t, "pause", T0 + 3)
    assert t["disruptions"] == [{"pause": sub}]


def test_close_innermost_closes_only_the_innermost() -> None:
    t = tl(T0)
    outer = tlm.add_pause(t, "pause", T0 + 10)
    inner = tlm.add_pause(t, "call", T0 + 20)
    got = tlm.close_innermost(t, T0 + 30)
    assert got is not None
    assert got[0] == "call"
    assert got[1] is inner
    assert inner["terminated"] == T0 + 30
    assert outer["terminated"] == -1
    assert tlm.state(rec(t)) == "paused"
    got = tlm.close_innermost(t, T0 + 40)
    assert got is not None and got[0] == "pause"
    assert outer["terminated"] == T0 + 40
    assert inner["terminated"] == T0 + 30
    assert tlm.state(rec(t)) == "running"


def test_close_innermost_with_nothing_open() -> None:
    t = tl(T0, -1, dis("pause", T0 + 1, T0 + 2))
    before = copy.deepcopy(t)
    assert tlm.close_innermost(t, T0 + 10) is None
    assert t == before


def test_close_open_closes_every_depth() -> None:
    t = tl(T0, -1, dis("pause", T0 + 1, T0 + 2))
    a = tlm.add_pause(t, "pause", T0 + 10)
    b = tlm.add_pause(t, "call", T0 + 20)
    c = tlm.add_pause(t, "lunch", T0 + 30)
    tlm.close_open(t, T0 + 50)
    assert a["terminated"] == b["terminated"] == c["terminated"] == T0 + 50
    assert t["disruptions"][0]["pause"]["terminated"] == T0 + 2  # closed ones keep their end
    assert t["terminated"] == -1  # the timeline itself is not stopped
    assert tlm.open_chain(t) == []


def test_close_open_with_nothing_open_changes_nothing() -> None:
    t = tl(T0, -1, dis("pause", T0 + 1, T0 + 2))
    before = copy.deepcopy(t)
    tlm.close_open(t, T0 + 9)
    assert t == before


# -- layer_of --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uid", "layer"),
    [("0-abcd", 0), ("1-a3f2", 1), ("7-0000", 7), ("12-ffffff", 12), ("1234-abcdef01", 1234)],
)
def test_layer_of_valid(uid: str, layer: int) -> None:
    assert tlm.layer_of(uid) == layer


@pytest.mark.parametrize(
    "uid",
    ["", "abcd", "1", "-abcd", "x-abcd", "1a-abcd", " 1-abcd", "+1-abcd", "١-abcd", "²-abcd"],
)
def test_layer_of_invalid(uid: str) -> None:
    with pytest.raises(ValueError) as info:
        tlm.layer_of(uid)
    assert repr(uid) in str(info.value)


# -- latest_event --------------------------------------------------------------------------


def test_latest_event_start_only() -> None:
    assert tlm.latest_event(tl(T0)) == T0


def test_latest_event_stopped() -> None:
    assert tlm.latest_event(tl(T0, T0 + 9, dis("pause", T0 + 1, T0 + 2))) == T0 + 9


def test_latest_event_closed_disruption() -> None:
    assert tlm.latest_event(tl(T0, -1, dis("pause", T0 + 1, T0 + 5), dis("p", T0 + 2, T0 + 3))) == (
        T0 + 5
    )


def test_latest_event_open_disruption_counts_its_start() -> None:
    t = tl(T0, -1, dis("pause", T0 + 10, T0 + 20), dis("pause", T0 + 30, -1, dis("x", T0 + 35)))
    assert tlm.latest_event(t) == T0 + 35


def test_latest_event_nested_end() -> None:
    t = tl(T0, -1, dis("pause", T0 + 10, -1, dis("x", T0 + 12, T0 + 44)))
    assert tlm.latest_event(t) == T0 + 44


# -- children ------------------------------------------------------------------------------


def test_children_in_order() -> None:
    t = tl(T0, -1, dis("a", T0 + 1, T0 + 2), dis("b", T0 + 3, T0 + 4), dis("a", T0 + 5, T0 + 6))
    assert [(k, s["initialized"]) for k, s in tlm.children(t)] == [
        ("a", T0 + 1),
        ("b", T0 + 3),
        ("a", T0 + 5),
    ]


def test_enrich_all_agrees_with_spans_and_state() -> None:
    # The bulk path computes the fields inline; it must agree with the general
    # functions, including with the per-second clock table of long listings.
    import random

    from processes.timeline import enrich_all, iso, spans, state

    def enrich(rec: dict[str, object], now: int) -> dict[str, object]:
        tl: dict[str, int] = rec["timeline"]  # type: ignore[assignment]
        total, paused = spans(rec, now)
        out = dict(rec)
        out["layer"] = int(str(rec["uid"]).split("-")[0])
        out["state"] = state(rec)
        out["started_at"] = iso(tl["initialized"])
        out["ended_at"] = None if tl["terminated"] == -1 else iso(tl["terminated"])
        out["duration_s"] = total
        out["active_s"] = total - paused
        return out

    rng = random.Random(7)
    now = 1_800_000_000
    recs = []
    for i in range(25_000):
        start = rng.randint(0, now)
        kind = rng.random()
        term = -1 if kind < 0.2 else min(now, start + rng.randint(0, 9000))
        dis = []
        hi = now if term == -1 else term
        for _ in range(rng.randint(0, 3)):
            a = rng.randint(start, hi)
            b = rng.randint(a, hi)
            dis.append({"pause": {"initialized": a, "terminated": b, "disruptions": []}})
        if term == -1 and rng.random() < 0.3:
            dis.append({"pause": {"initialized": hi, "terminated": -1}})
        recs.append(
            {
                "name": "n",
                "uid": f"{i % 4}-{i:05x}",
                "timeline": {"initialized": start, "terminated": term, "disruptions": dis},
            }
        )
    assert enrich_all(recs, now) == [enrich(r, now) for r in recs]
    assert enrich_all(recs[:10], now) == [enrich(r, now) for r in recs[:10]]
