"""The operations of processes.tracker through a real Store, with explicit times."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from processes import timeline as tlm
from processes import tracker
from processes.errors import (
    AmbiguousTargetError,
    LayerBusyError,
    NotFoundError,
    ProcError,
    StateError,
    TimeOrderError,
    UsageError,
)
from processes.store import Store
from processes.tracker import Filter

T0 = 1_796_376_600  # 2026-12-04T09:30:00Z
NOW = T0 + 10_000


@pytest.fixture
def store(store_path: Path) -> Store:
    return Store(store_path)


def start(store: Store, name: str, at: int, layer: int = 0, **kw: Any) -> dict[str, Any]:
    return tracker.start(store, name, layer=layer, at=at, now=NOW, **kw).record


def stored(store: Store, uid: str) -> dict[str, Any]:
    rec: dict[str, Any] = store.read().processes[uid]
    return rec


def uids(records: list[dict[str, Any]]) -> list[str]:
    return [r["uid"] for r in records]


def tl_of(store: Store, uid: str) -> dict[str, Any]:
    t: dict[str, Any] = stored(store, uid)["timeline"]
    return t


# -- start ---------------------------------------------------------------------------------


def test_start_returns_started_record(store: Store) -> None:
    got = tracker.start(store, "writing", at=T0, now=NOW)
    assert isinstance(got, tracker.Started)
    assert got.stopped is None
    rec = got.record
    assert re.fullmatch(r"0-[0-9a-f]{4,}", rec["uid"])
    assert rec["name"] == "writing"
    assert rec["timeline"] == {"initialized": T0, "terminated": -1, "disruptions": []}
    assert store.read().processes == {rec["uid"]: rec}


def test_start_uid_carries_the_layer(store: Store) -> None:
    rec = start(store, "backup", T0, layer=7)
    assert re.fullmatch(r"7-[0-9a-f]{4,}", rec["uid"])
    assert tlm.layer_of(rec["uid"]) == 7


def test_start_defaults_to_now(store: Store) -> None:
    rec = tracker.start(store, "x", now=NOW).record
    assert rec["timeline"]["initialized"] == NOW
    assert stored(store, rec["uid"])["timeline"]["initialized"] == NOW


@pytest.mark.parametrize("layer", [-1, True, 1.0, "1"])
def test_start_bad_layer_is_usage_error(store: Store, store_path: Path, layer: Any) -> None:
    with pytest.raises(UsageError) as info:
        tracker.start(store, "x", layer=layer, at=T0, now=NOW)
    assert info.value.exit_code == 2
    assert not store_path.exists()


def test_layer_zero_allows_many_active(store: Store) -> None:
    a = start(store, "a", T0)
    b = start(store, "a", T0 + 1)
    c = start(store, "b", T0 + 2)
    doc = store.read()
    assert uids(tracker.active(doc)) == [a["uid"], b["uid"], c["uid"]]
    assert all(tlm.state(r) == "running" for r in doc.processes.values())


def test_busy_layer_refuses_and_leaves_store_untouched(store: Store, store_path: Path) -> None:
    first = start(store, "deploy", T0, layer=1)
    before = store_path.read_bytes()
    with pytest.raises(LayerBusyError) as info:
        start(store, "other", T0 + 5, layer=1)
    assert first["uid"] in info.value.message
    assert first["uid"] in str(info.value)
    assert info.value.active["uid"] == first["uid"]
    assert info.value.exit_code == 1
    assert store_path.read_bytes() == before


def test_busy_layer_also_when_paused(store: Store, store_path: Path) -> None:
    first = start(store, "deploy", T0, layer=2)
    tracker.pause(store, first["uid"], at=T0 + 1, now=NOW)
    before = store_path.read_bytes()
    with pytest.raises(LayerBusyError, match=re.escape(first["uid"])):
        start(store, "other", T0 + 5, layer=2)
    assert store_path.read_bytes() == before


def test_other_layers_are_independent(store: Store) -> None:
    a = start(store, "a", T0, layer=1)
    b = start(store, "b", T0, layer=2)
    c = start(store, "c", T0, layer=0)
    assert {tlm.state(stored(store, u)) for u in (a["uid"], b["uid"], c["uid"])} == {"running"}


def test_layer_free_again_after_stop(store: Store) -> None:
    a = start(store, "a", T0, layer=1)
    tracker.stop(store, a["uid"], at=T0 + 10, now=NOW)
    b = start(store, "b", T0 + 20, layer=1)
    assert tlm.state(stored(store, b["uid"])) == "running"


def test_switch_stops_the_active_one_at_the_same_instant(store: Store) -> None:
    a = start(store, "a", T0, layer=1)
    tracker.pause(store, a["uid"], at=T0 + 10, now=NOW)
    tracker.pause(store, a["uid"], kind="call", at=T0 + 20, now=NOW)
    other = start(store, "bystander", T0 + 1, layer=2)
    got = tracker.start(store, "b", layer=1, at=T0 + 50, switch=True, now=NOW)
    assert got.stopped is not None
    assert got.stopped["uid"] == a["uid"]
    old = stored(store, a["uid"])
    new = stored(store, got.record["uid"])
    assert old["timeline"]["terminated"] == new["timeline"]["initialized"] == T0 + 50
    assert tlm.state(old) == "stopped"
    outer = old["timeline"]["disruptions"][0]["pause"]
    inner = outer["disruptions"][0]["call"]
    assert outer["terminated"] == inner["terminated"] == T0 + 50
    assert tlm.state(new) == "running"
    assert tlm.state(stored(store, other["uid"])) == "running"
    assert got.stopped == old


def test_switch_on_a_free_layer_stops_nothing(store: Store) -> None:
    got = tracker.start(store, "b", layer=1, at=T0, switch=True, now=NOW)
    assert got.stopped is None


def test_switch_on_layer_zero_stops_nothing(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.start(store, "b", layer=0, at=T0 + 5, switch=True, now=NOW)
    assert got.stopped is None
    assert tlm.state(stored(store, a["uid"])) == "running"


def test_switch_before_the_active_ones_last_event_is_refused(
    store: Store, store_path: Path
) -> None:
    a = start(store, "a", T0 + 100, layer=1)
    before = store_path.read_bytes()
    with pytest.raises(TimeOrderError):
        tracker.start(store, "b", layer=1, at=T0 + 50, switch=True, now=NOW)
    assert store_path.read_bytes() == before
    assert tlm.state(stored(store, a["uid"])) == "running"


# -- stop, pause, resume -------------------------------------------------------------------


def test_stop_records_the_end(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.stop(store, a["uid"], at=T0 + 30, now=NOW)
    assert got["timeline"]["terminated"] == T0 + 30
    assert stored(store, a["uid"]) == got
    assert tlm.duration_s(got) == 30


def test_stop_in_the_same_second_lasts_zero(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.stop(store, a["uid"], at=T0, now=NOW)
    assert tlm.duration_s(got) == 0
    assert tlm.enrich(got, now=NOW)["duration_s"] == 0


def test_stop_defaults_to_now(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.stop(store, a["uid"], now=NOW)
    assert got["timeline"]["terminated"] == NOW


def test_stop_closes_every_open_disruption(store: Store) -> None:
    a = start(store, "a", T0)
    tracker.pause(store, a["uid"], at=T0 + 5, now=NOW)
    tracker.resume(store, a["uid"], at=T0 + 6, now=NOW)
    tracker.pause(store, a["uid"], at=T0 + 10, now=NOW)
    tracker.pause(store, a["uid"], kind="call", at=T0 + 20, now=NOW)
    tracker.pause(store, a["uid"], kind="lunch", at=T0 + 30, now=NOW)
    tracker.stop(store, a["uid"], at=T0 + 100, now=NOW)
    t = tl_of(store, a["uid"])
    assert t["terminated"] == T0 + 100
    assert t["disruptions"][0]["pause"]["terminated"] == T0 + 6
    outer = t["disruptions"][1]["pause"]
    mid = outer["disruptions"][0]["call"]
    inner = mid["disruptions"][0]["lunch"]
    assert outer["terminated"] == mid["terminated"] == inner["terminated"] == T0 + 100
    assert tlm.open_chain(t) == []
    assert tlm.active_s(stored(store, a["uid"])) == 100 - 1 - 90


def test_pause_with_a_kind(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.pause(store, a["uid"], kind="meeting", at=T0 + 7, now=NOW)
    assert got["timeline"]["disruptions"] == [
        {"meeting": {"initialized": T0 + 7, "terminated": -1, "disruptions": []}}
    ]
    assert tlm.state(stored(store, a["uid"])) == "paused"


def test_pause_default_kind_is_pause(store: Store) -> None:
    a = start(store, "a", T0)
    got = tracker.pause(store, a["uid"], at=T0 + 7, now=NOW)
    assert list(got["timeline"]["disruptions"][0]) == ["pause"]


@pytest.mark.parametrize("kind", ["", "   ", "a\nb", "x" * 201])
def test_pause_bad_kind_is_usage_error(store: Store, store_path: Path, kind: str) -> None:
    a = start(store, "a", T0)
    before = store_path.read_bytes()
    with pytest.raises(UsageError):
        tracker.pause(store, a["uid"], kind=kind, at=T0 + 1, now=NOW)
    assert store_path.read_bytes() == before


def test_pausing_a_paused_process_nests(store: Store) -> None:
    a = start(store, "a", T0)
    tracker.pause(store, a["uid"], at=T0 + 10, now=NOW)
    tracker.pause(store, a["uid"], kind="call", at=T0 + 20, now=NOW)
    tracker.pause(store, a["uid"], kind="lunch", at=T0 + 30, now=NOW)
    t = tl_of(store, a["uid"])
    assert len(t["disruptions"]) == 1
    outer = t["disruptions"][0]["pause"]
    assert outer["initialized"] == T0 + 10
    assert len(outer["disruptions"]) == 1
    mid = outer["disruptions"][0]["call"]
    assert mid["initialized"] == T0 + 20
    assert mid["disruptions"] == [
        {"lunch": {"initialized": T0 + 30, "terminated": -1, "disruptions": []}}
    ]


def test_pause_after_resume_is_a_new_sibling(store: Store) -> None:
    a = start(store, "a", T0)
    tracker.pause(store, a["uid"], at=T0 + 10, now=NOW)
    tracker.resume(store, a["uid"], at=T0 + 20, now=NOW)
    tracker.pause(store, a["uid"], at=T0 + 30, now=NOW)
    t = tl_of(store, a["uid"])
    assert [list(d)[0] for d in t["disruptions"]] == ["pause", "pause"]
    assert t["disruptions"][0]["pause"]["terminated"] == T0 + 20
    assert t["disruptions"][1]["pause"]["terminated"] == -1


def test_resume_closes_the_innermost_only(store: Store) -> None:
    a = start(store, "a", T0)
    tracker.pause(store, a["uid"], at=T0 + 10, now=NOW)
    tracker.pause(store, a["uid"], kind="call", at=T0 + 20, now=NOW)
    got = tracker.resume(store, a["uid"], at=T0 + 25, now=NOW)
    assert tlm.state(got) == "paused"
    outer = tl_of(store, a["uid"])["disruptions"][0]["pause"]
    assert outer["terminated"] == -1
    assert outer["disruptions"][0]["call"]["terminated"] == T0 + 25
    got = tracker.resume(store, a["uid"], at=T0 + 40, now=NOW)
    assert tlm.state(got) == "running"
    outer = tl_of(store, a["uid"])["disruptions"][0]["pause"]
    assert outer["terminated"] == T0 + 40
    assert outer["disruptions"][0]["call"]["terminated"] == T0 + 25
    assert tlm.active_s(stored(store, a["uid"]), now=T0 + 100) == 100 - 30


def test_resume_without_target_picks_the_one_paused(store: Store) -> None:
    running = start(store, "r", T0)
    paused = start(store, "p", T0 + 1)
    tracker.pause(store, paused["uid"], at=T0 + 5, now=NOW)
    got = tracker.resume(store, at=T0 + 8, now=NOW)
    assert got["uid"] == paused["uid"]
    assert tlm.state(stored(store, paused["uid"])) == "running"
    assert tlm.state(stored(store, running["uid"])) == "running"
    assert tl_of(store, running["uid"])["disruptions"] == []


def test_resume_without_target_and_nothing_paused(store: Store, store_path: Path) -> None:
    running = start(store, "r", T0)
    before = store_path.read_bytes()
    with pytest.raises(NotFoundError) as info:
        tracker.resume(store, at=T0 + 8, now=NOW)
    assert running["uid"] in info.value.message  # listed as a candidate
    assert store_path.read_bytes() == before


def test_resume_without_target_several_paused_is_ambiguous(store: Store) -> None:
    a = start(store, "a", T0)
    b = start(store, "b", T0 + 1)
    tracker.pause(store, a["uid"], at=T0 + 2, now=NOW)
    tracker.pause(store, b["uid"], at=T0 + 3, now=NOW)
    with pytest.raises(AmbiguousTargetError) as info:
        tracker.resume(store, at=T0 + 8, now=NOW)
    assert {r["uid"] for r in info.value.candidates} == {a["uid"], b["uid"]}


# -- target resolution ---------------------------------------------------------------------


def test_target_by_uid_among_same_names(store: Store) -> None:
    a = start(store, "job", T0)
    b = start(store, "job", T0 + 1)
    got = tracker.stop(store, b["uid"], at=T0 + 5, now=NOW)
    assert got["uid"] == b["uid"]
    assert tlm.state(stored(store, a["uid"])) == "running"
    assert tlm.state(stored(store, b["uid"])) == "stopped"


def test_target_by_name_of_the_one_active(store: Store) -> None:
    old = start(store, "job", T0)
    tracker.stop(store, old["uid"], at=T0 + 1, now=NOW)
    cur = start(store, "job", T0 + 2)
    start(store, "other", T0 + 3)
    got = tracker.pause(store, "job", at=T0 + 5, now=NOW)
    assert got["uid"] == cur["uid"]
    assert tlm.state(stored(store, cur["uid"])) == "paused"
    got = tracker.resume(store, "job", at=T0 + 6, now=NOW)
    assert got["uid"] == cur["uid"]
    got = tracker.stop(store, "job", at=T0 + 7, now=NOW)
    assert got["uid"] == cur["uid"]
    assert tl_of(store, old["uid"])["terminated"] == T0 + 1


def test_no_target_means_the_one_active(store: Store) -> None:
    old = start(store, "x", T0)
    tracker.stop(store, old["uid"], at=T0 + 1, now=NOW)
    cur = start(store, "y", T0 + 2)
    assert tracker.pause(store, at=T0 + 3, now=NOW)["uid"] == cur["uid"]
    assert tracker.resume(store, at=T0 + 4, now=NOW)["uid"] == cur["uid"]
    assert tracker.stop(store, at=T0 + 5, now=NOW)["uid"] == cur["uid"]


@pytest.mark.parametrize("target", [None, "nothing-like-this", "0-ffff"])
def test_no_match_is_not_found(store: Store, store_path: Path, target: str | None) -> None:
    done = start(store, "done", T0)
    tracker.stop(store, done["uid"], at=T0 + 1, now=NOW)
    before = store_path.read_bytes()
    for op in (tracker.stop, tracker.pause, tracker.resume):
        with pytest.raises(NotFoundError) as info:
            op(store, target, at=T0 + 2, now=NOW)
        assert info.value.exit_code == 1
    assert store_path.read_bytes() == before


def test_name_with_only_stopped_processes_is_not_found(store: Store) -> None:
    done = start(store, "done", T0)
    tracker.stop(store, done["uid"], at=T0 + 1, now=NOW)
    with pytest.raises(NotFoundError):
        tracker.stop(store, "done", at=T0 + 2, now=NOW)


def test_no_target_with_several_active_is_ambiguous(store: Store, store_path: Path) -> None:
    recs = [start(store, n, T0 + i) for i, n in enumerate(["a", "b", "c"])]
    before = store_path.read_bytes()
    for op in (tracker.stop, tracker.pause):
        with pytest.raises(AmbiguousTargetError) as info:
            op(store, None, at=T0 + 5, now=NOW)
        err = info.value
        assert err.exit_code == 1
        for r in recs:
            assert r["uid"] in err.message
        assert [c["uid"] for c in err.candidates] == uids(recs)  # by start time
    assert store_path.read_bytes() == before


def test_name_with_several_active_is_ambiguous(store: Store, store_path: Path) -> None:
    a = start(store, "job", T0 + 3)
    b = start(store, "job", T0 + 1)
    c = start(store, "other", T0 + 2)
    before = store_path.read_bytes()
    with pytest.raises(AmbiguousTargetError) as info:
        tracker.stop(store, "job", at=T0 + 5, now=NOW)
    assert a["uid"] in info.value.message and b["uid"] in info.value.message
    assert c["uid"] not in info.value.message
    assert [r["uid"] for r in info.value.candidates] == [b["uid"], a["uid"]]
    assert store_path.read_bytes() == before


def test_ambiguity_lists_every_candidate_even_many(store: Store) -> None:
    recs = [start(store, "same", T0 + i) for i in range(25)]
    with pytest.raises(AmbiguousTargetError) as info:
        tracker.pause(store, "same", at=T0 + 30, now=NOW)
    for r in recs:
        assert r["uid"] in info.value.message
    assert len(info.value.candidates) == 25


def test_resolve_latest_by_name_falls_back_to_latest(store: Store) -> None:
    a = start(store, "job", T0)
    tracker.stop(store, a["uid"], at=T0 + 1, now=NOW)
    b = start(store, "job", T0 + 2)
    tracker.stop(store, b["uid"], at=T0 + 3, now=NOW)
    doc = store.read()
    assert tracker.resolve(doc, "job", latest_by_name=True)["uid"] == b["uid"]
    with pytest.raises(NotFoundError):
        tracker.resolve(doc, "job")


# -- wrong state -----------------------------------------------------------------------------


def test_stop_of_a_stopped_process_is_state_error(store: Store, store_path: Path) -> None:
    a = start(store, "a", T0)
    tracker.stop(store, a["uid"], at=T0 + 1, now=NOW)
    before = store_path.read_bytes()
    with pytest.raises(StateError) as info:
        tracker.stop(store, a["uid"], at=T0 + 2, now=NOW)
    assert info.value.exit_code == 1
    assert a["uid"] in info.value.message
    assert store_path.read_bytes() == before


def test_resume_of_a_running_process_is_state_error(store: Store, store_path: Path) -> None:
    a = start(store, "a", T0)
    before = store_path.read_bytes()
    with pytest.raises(StateError):
        tracker.resume(store, a["uid"], at=T0 + 2, now=NOW)
    assert store_path.read_bytes() == before


def test_pause_of_a_stopped_process_is_state_error(store: Store, store_path: Path) -> None:
    a = start(store, "a", T0)
    tracker.stop(store, a["uid"], at=T0 + 1, now=NOW)
    before = store_path.read_bytes()
    with pytest.raises(StateError):
        tracker.pause(store, a["uid"], at=T0 + 2, now=NOW)
    with pytest.raises(StateError):
        tracker.resume(store, a["uid"], at=T0 + 2, now=NOW)
    assert store_path.read_bytes() == before


# -- time validation -------------------------------------------------------------------------


def _prepared(store: Store) -> dict[str, str]:
    """running: started T0; paused: started T0, paused T0+100..T0+200, paused T0+300."""
    r = start(store, "r", T0)
    p = start(store, "p", T0)
    tracker.pause(store, p["uid"], at=T0 + 100, now=NOW)
    tracker.resume(store, p["uid"], at=T0 + 200, now=NOW)
    tracker.pause(store, p["uid"], at=T0 + 300, now=NOW)
    return {"running": r["uid"], "paused": p["uid"]}


CASES = [
    ("start", "", NOW + 1),
    ("stop", "running", NOW + 1),
    ("stop", "paused", NOW + 60),
    ("pause", "running", NOW + 1),
    ("pause", "paused", NOW + 1),
    ("resume", "paused", NOW + 1),
    ("stop", "running", T0 - 1),
    ("stop", "paused", T0 + 299),
    ("stop", "paused", T0 + 150),
    ("pause", "running", T0 - 1),
    ("pause", "paused", T0 + 299),
    ("resume", "paused", T0 + 299),
    ("resume", "paused", T0),
]


@pytest.mark.parametrize(("op", "who", "at"), CASES)
def test_bad_times_are_refused_and_change_nothing(
    store: Store, store_path: Path, op: str, who: str, at: int
) -> None:
    ids = _prepared(store)
    before = store_path.read_bytes()
    with pytest.raises(TimeOrderError) as info:
        if op == "start":
            tracker.start(store, "new", at=at, now=NOW)
        else:
            getattr(tracker, op)(store, ids[who], at=at, now=NOW)
    assert info.value.exit_code == 2
    assert isinstance(info.value, UsageError)
    assert store_path.read_bytes() == before


def test_future_start_on_a_new_store_creates_nothing(store: Store, store_path: Path) -> None:
    with pytest.raises(TimeOrderError):
        tracker.start(store, "x", at=NOW + 1, now=NOW)
    assert not store_path.exists()


def test_times_equal_to_the_last_event_are_accepted(store: Store) -> None:
    ids = _prepared(store)
    tracker.pause(store, ids["paused"], at=T0 + 300, now=NOW)  # nested, same second
    tracker.resume(store, ids["paused"], at=T0 + 300, now=NOW)
    tracker.resume(store, ids["paused"], at=T0 + 300, now=NOW)
    tracker.stop(store, ids["paused"], at=T0 + 300, now=NOW)
    tracker.stop(store, ids["running"], at=NOW, now=NOW)
    assert tl_of(store, ids["paused"])["terminated"] == T0 + 300
    assert tl_of(store, ids["running"])["terminated"] == NOW


def test_check_time_defaults_and_bounds() -> None:
    assert tracker.check_time(None, NOW) == NOW
    assert tracker.check_time(NOW, NOW, after=NOW) == NOW
    with pytest.raises(TimeOrderError):
        tracker.check_time(NOW + 1, NOW)
    with pytest.raises(TimeOrderError):
        tracker.check_time(T0 - 1, NOW, after=T0)


# -- check_name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "   \t ",
        "\u3000",
        "a\x00b",
        "tab\there",
        "esc\x1b[31m",
        "del\x7f",
        "nel\x85",
        "line\nbreak",
        "cr\r",
        "sep\u2028x",
        "para\u2029x",
        "\ud800",
        "a\udfffb",
        "x" * 201,
        "é" * 201,
    ],
)
def test_check_name_rejects(store: Store, store_path: Path, name: str) -> None:
    with pytest.raises(UsageError) as info:
        tracker.check_name(name)
    assert info.value.exit_code == 2
    with pytest.raises(UsageError):
        tracker.start(store, name, at=T0, now=NOW)
    assert not store_path.exists()


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "writing",
        "café crème",
        "naïve résumé",
        "🚀 launch 🎉",
        "日本語",
        "two  spaces",
        "x" * 200,
    ],
)
def test_check_name_accepts(store: Store, name: str) -> None:
    assert tracker.check_name(name) == name
    rec = start(store, name, T0)
    assert stored(store, rec["uid"])["name"] == name


def test_check_name_message_names_the_field() -> None:
    with pytest.raises(UsageError, match="disruption type"):
        tracker.check_name("", "disruption type")


# -- select ----------------------------------------------------------------------------------


@pytest.fixture
def history(store: Store) -> dict[str, str]:
    """Started out of order on purpose:

    A alpha L0 [T0, T0+100] stopped        B beta  L0 [T0+50, now] running
    C alpha L1 [T0+200, now] paused @250   D gamma L2 [T0+300, T0+400] stopped
    """
    d = start(store, "gamma", T0 + 300, layer=2)
    tracker.stop(store, d["uid"], at=T0 + 400, now=NOW)
    c = start(store, "alpha", T0 + 200, layer=1)
    tracker.pause(store, c["uid"], at=T0 + 250, now=NOW)
    a = start(store, "alpha", T0)
    tracker.stop(store, a["uid"], at=T0 + 100, now=NOW)
    b = start(store, "beta", T0 + 50)
    return {"A": a["uid"], "B": b["uid"], "C": c["uid"], "D": d["uid"]}


def _sel(store: Store, ids: dict[str, str], **kw: Any) -> str:
    back = {v: k for k, v in ids.items()}
    return "".join(back[r["uid"]] for r in tracker.select(store.read(), Filter(**kw), now=NOW))


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "ABCD"),
        ({"state": "running"}, "B"),
        ({"state": "paused"}, "C"),
        ({"state": "stopped"}, "AD"),
        ({"state": "active"}, "BC"),
        ({"name": "alpha"}, "AC"),
        ({"name": "nobody"}, ""),
        ({"layer": 0}, "AB"),
        ({"layer": 1}, "C"),
        ({"layer": 2}, "D"),
        ({"layer": 3}, ""),
        ({"since": T0 + 150}, "BCD"),
        ({"since": T0 + 100}, "ABCD"),  # ends exactly at since: overlaps
        ({"since": T0 + 101}, "BCD"),
        ({"since": T0 + 401}, "BC"),
        ({"since": NOW}, "BC"),  # active ones last until now
        ({"until": T0 + 250}, "ABC"),
        ({"until": T0 + 300}, "ABCD"),  # starts exactly at until: overlaps
        ({"until": T0 + 49}, "A"),
        ({"until": T0 - 1}, ""),
        ({"since": T0 + 120, "until": T0 + 280}, "BC"),
        ({"since": T0 + 320, "until": T0 + 330}, "BCD"),
        ({"limit": 2}, "CD"),
        ({"limit": 1}, "D"),
        ({"limit": 10}, "ABCD"),
        ({"limit": 0}, ""),
        ({"name": "alpha", "limit": 1}, "C"),
        ({"state": "stopped", "layer": 0}, "A"),
        ({"state": "active", "since": T0 + 500, "limit": 1}, "C"),
    ],
)
def test_select(store: Store, history: dict[str, str], kw: dict[str, Any], expected: str) -> None:
    assert _sel(store, history, **kw) == expected


def test_select_without_filter_argument(store: Store, history: dict[str, str]) -> None:
    got = tracker.select(store.read(), now=NOW)
    assert uids(got) == [history[k] for k in "ABCD"]


def test_select_same_start_ordered_by_uid(store: Store) -> None:
    recs = [start(store, "x", T0) for _ in range(6)]
    got = tracker.select(store.read(), now=NOW)
    assert uids(got) == sorted(uids(recs))


def test_active_in_start_order(store: Store, history: dict[str, str]) -> None:
    assert uids(tracker.active(store.read())) == [history["B"], history["C"]]


# -- remove and clear ------------------------------------------------------------------------


def test_remove_several(store: Store, history: dict[str, str]) -> None:
    gone = tracker.remove(store, [history["A"], history["C"]])
    assert sorted(uids(gone)) == sorted([history["A"], history["C"]])
    assert set(store.read().processes) == {history["B"], history["D"]}


def test_remove_duplicates_once(store: Store, history: dict[str, str]) -> None:
    gone = tracker.remove(store, [history["A"], history["A"]])
    assert uids(gone) == [history["A"]]
    assert set(store.read().processes) == {history["B"], history["C"], history["D"]}


def test_remove_all_or_none(store: Store, store_path: Path, history: dict[str, str]) -> None:
    before = store_path.read_bytes()
    with pytest.raises(NotFoundError) as info:
        tracker.remove(store, [history["A"], "0-dead", history["B"]])
    assert "0-dead" in info.value.message
    assert store_path.read_bytes() == before
    assert len(store.read().processes) == 4


def test_clear_keeps_the_mindmap(store: Store) -> None:
    tracker.link(store, "a", "b")
    start(store, "a", T0)
    start(store, "b", T0)
    assert tracker.clear(store) == 2
    doc = store.read()
    assert doc.processes == {}
    assert doc.mindmap == {"a": ["b"], "b": []}
    assert tracker.clear(store) == 0


# -- link and unlink ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "edges", "mindmap"),
    [
        (False, [("a", "b")], {"a": ["b"], "b": []}),
        (True, [("b", "a")], {"a": [], "b": ["a"]}),
        (None, [("a", "b"), ("b", "a")], {"a": ["b"], "b": ["a"]}),
    ],
)
def test_link_directions(
    store: Store, direction: bool | None, edges: list[tuple[str, str]], mindmap: Any
) -> None:
    assert tracker.link(store, "a", "b", direction) == edges
    assert store.read().mindmap == mindmap
    # again: nothing new, no duplicate edge
    assert tracker.link(store, "a", "b", direction) == []
    assert store.read().mindmap == mindmap


def test_link_default_direction_is_src_to_node(store: Store) -> None:
    assert tracker.link(store, "x", "y") == [("x", "y")]
    assert store.read().mindmap == {"x": ["y"], "y": []}


def test_link_both_when_one_exists_adds_only_the_missing(store: Store) -> None:
    tracker.link(store, "a", "b", False)
    assert tracker.link(store, "a", "b", None) == [("b", "a")]
    assert store.read().mindmap == {"a": ["b"], "b": ["a"]}


def test_link_existing_edge_does_not_rewrite(store: Store, store_path: Path) -> None:
    tracker.link(store, "a", "b")
    before = store_path.read_bytes()
    tracker.link(store, "a", "b")
    assert store_path.read_bytes() == before


def test_link_keeps_other_edges(store: Store) -> None:
    tracker.link(store, "a", "b")
    tracker.link(store, "a", "c")
    tracker.link(store, "c", "a")
    assert store.read().mindmap == {"a": ["b", "c"], "b": [], "c": ["a"]}


@pytest.mark.parametrize("bad", ["", " ", "a\nb", "\ud800"])
def test_link_bad_node_name(store: Store, store_path: Path, bad: str) -> None:
    with pytest.raises(UsageError):
        tracker.link(store, bad, "b")
    with pytest.raises(UsageError):
        tracker.link(store, "a", bad)
    assert not store_path.exists()


def test_unlink_directions(store: Store) -> None:
    tracker.link(store, "a", "b", None)
    assert tracker.unlink(store, "a", "b", False) == [("a", "b")]
    assert store.read().mindmap == {"a": [], "b": ["a"]}
    assert tracker.unlink(store, "a", "b", True) == [("b", "a")]
    assert store.read().mindmap == {"a": [], "b": []}


def test_unlink_both(store: Store) -> None:
    tracker.link(store, "a", "b", None)
    assert tracker.unlink(store, "a", "b", None) == [("a", "b"), ("b", "a")]
    assert store.read().mindmap["a"] == []
    assert store.read().mindmap["b"] == []


def test_unlink_both_when_only_one_exists(store: Store) -> None:
    tracker.link(store, "a", "b", True)
    assert tracker.unlink(store, "a", "b", None) == [("b", "a")]
    assert store.read().mindmap == {"a": [], "b": []}


@pytest.mark.parametrize("direction", [False, True, None])
def test_unlink_absent_edge(store: Store, store_path: Path, direction: bool | None) -> None:
    tracker.link(store, "x", "y")  # unrelated edge
    if direction is True:
        tracker.link(store, "b", "c")  # c -> b would be needed; b -> c does not count
    before = store_path.read_bytes()
    with pytest.raises(NotFoundError) as info:
        tracker.unlink(store, "b", "c" if direction is True else "a", direction)
    assert info.value.exit_code == 1
    assert store_path.read_bytes() == before


def test_unlink_on_missing_store(store: Store, store_path: Path) -> None:
    with pytest.raises(NotFoundError):
        tracker.unlink(store, "a", "b")
    assert not store_path.exists()


# -- latest_state ------------------------------------------------------------------------


def test_latest_state(store: Store) -> None:
    a1 = start(store, "a", T0)
    tracker.stop(store, a1["uid"], at=T0 + 10, now=NOW)
    start(store, "a", T0 + 100)
    b = start(store, "b", T0 + 50)
    tracker.pause(store, b["uid"], at=T0 + 60, now=NOW)
    c = start(store, "c", T0 + 500)
    tracker.stop(store, c["uid"], at=T0 + 600, now=NOW)
    start(store, "c", T0 + 400)  # older start, still running: not the latest
    assert tracker.latest_state(store.read()) == {"a": "running", "b": "paused", "c": "stopped"}


def test_latest_state_empty(store: Store) -> None:
    assert tracker.latest_state(store.read()) == {}


# -- extra ----------------------------------------------------------------------------------


def test_start_extra_survives_later_changes(store: Store) -> None:
    extra = {"cmd": ["./backup.sh", "--full"], "host": "box", "note": None}
    a = start(store, "backup", T0, extra=extra)
    assert {k: a[k] for k in extra} == extra
    tracker.pause(store, a["uid"], at=T0 + 1, now=NOW)
    tracker.resume(store, a["uid"], at=T0 + 2, now=NOW)
    tracker.stop(store, a["uid"], at=T0 + 3, now=NOW, extra={"exit_status": 0})
    rec = stored(store, a["uid"])
    assert {k: rec[k] for k in extra} == extra
    assert rec["exit_status"] == 0
    assert rec["timeline"]["terminated"] == T0 + 3


def test_stop_extra_survives_later_changes_of_the_store(store: Store) -> None:
    a = start(store, "run", T0, layer=1, extra={"cmd": "x"})
    tracker.stop(store, a["uid"], at=T0 + 5, now=NOW, extra={"exit_status": 3})
    start(store, "next", T0 + 6, layer=1)
    tracker.link(store, "run", "next")
    rec = stored(store, a["uid"])
    assert rec["exit_status"] == 3
    assert rec["cmd"] == "x"


def test_switch_keeps_extra_of_the_stopped_one(store: Store) -> None:
    a = start(store, "a", T0, layer=1, extra={"tag": "keep"})
    tracker.start(store, "b", layer=1, at=T0 + 5, switch=True, now=NOW)
    assert stored(store, a["uid"])["tag"] == "keep"


def test_start_extra_cannot_replace_identity(store: Store) -> None:
    a = start(store, "real", T0, extra={"name": "fake", "uid": "0-ffff", "timeline": {}})
    rec = stored(store, a["uid"])
    assert rec["name"] == "real"
    assert rec["uid"] == a["uid"]
    assert rec["timeline"]["initialized"] == T0


def test_stop_extra_cannot_corrupt_the_store(store: Store) -> None:
    a = start(store, "real", T0)
    bogus = {"initialized": 1, "terminated": -1, "disruptions": []}
    tracker.stop(
        store,
        a["uid"],
        at=T0 + 5,
        now=NOW,
        extra={"uid": "0-ffff", "name": "fake", "timeline": bogus, "exit_status": 1},
    )
    doc = store.read()  # still readable
    assert list(doc.processes) == [a["uid"]]
    rec = doc.processes[a["uid"]]
    assert rec["uid"] == a["uid"]
    assert rec["name"] == "real"
    assert rec["timeline"]["terminated"] == T0 + 5
    assert rec["exit_status"] == 1


def test_errors_are_proc_errors() -> None:
    for cls in (AmbiguousTargetError, LayerBusyError, NotFoundError, StateError, TimeOrderError):
        assert issubclass(cls, ProcError)
