"""Lossless round trip: whatever valid document goes into the store comes back unchanged.

Records are generated with hypothesis: several disruptions of one type, nesting
up to six levels, unknown keys (with unicode) in records, timelines and at the
top level, and arbitrary JSON values under those keys. Every generated timeline
keeps the store's invariants (see ``processes.schema``): children lie inside
their parent, start <= end, at most one open disruption per level and only
inside an open parent.
"""

from __future__ import annotations

import copy
import gc
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from processes import Process, Store, codec, schema

TIMELINE_KEYS = ("initialized", "terminated", "disruptions")
RECORD_KEYS = ("name", "uid", "timeline")
TOP_KEYS = ("processes", "mindmap")
MAX_NEST = 6

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- strict comparison -------------------------------------------------------------------------


def same(a: Any, b: Any, ordered: bool = True, where: str = "$") -> None:
    """Assert ``a`` and ``b`` are the same JSON data: same types (1 is not 1.0 nor True),
    same values, float signs, and (when ``ordered``) the same key order."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        if ordered:
            assert list(a) == list(b), f"{where}: key order {list(a)} != {list(b)}"
        else:
            assert set(a) == set(b), f"{where}: keys {set(a)} != {set(b)}"
        for key in a:
            same(a[key], b[key], ordered, f"{where}[{key!r}]")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, ordered, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_same_is_strict() -> None:
    same({"a": [1, 2.5, None, "x"]}, {"a": [1, 2.5, None, "x"]})
    for left, right in [
        (1, 1.0),
        (1, True),
        (0.0, -0.0),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ([1], [1, 1]),
        ("é", "e"),
    ]:
        with pytest.raises(AssertionError):
            same(left, right)
    same({"a": 1, "b": 2}, {"b": 2, "a": 1}, ordered=False)


# -- strategies --------------------------------------------------------------------------------

# Unicode text, including astral characters and JSON-special ones.
texts = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from('"\\/\n\t\u2028é😀'),
    max_size=12,
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: a JSON number may be any integer
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=5,
)


def extras(reserved: tuple[str, ...], max_size: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(
        texts.filter(lambda k: k not in reserved), json_values, max_size=max_size
    )


kinds = st.sampled_from(["pause", "pause", "pause", "async", "Pause", "pausa ⏸"]) | texts.filter(
    bool
)
SPAN = 10_000


@st.composite
def timelines(
    draw: st.DrawFn,
    lo: int = 0,
    hi: int | None = None,
    parent_open: bool = True,
    may_open: bool = True,
    depth: int = 0,
) -> dict[str, Any]:
    """A timeline starting at ``lo`` or later and ending by ``hi`` (None: no bound)."""
    init = draw(st.integers(lo, hi if hi is not None else lo + SPAN))
    is_open = parent_open and may_open and draw(st.booleans())
    if is_open:
        term = -1
    else:
        term = draw(st.integers(init, hi if hi is not None else init + SPAN))
    most = 0 if depth >= MAX_NEST else (3 if depth < 2 else 1)
    children = []
    open_child = False
    for _ in range(draw(st.integers(0, most))):
        sub = draw(
            timelines(
                lo=init,
                hi=None if is_open else term,
                parent_open=is_open,
                may_open=not open_child,
                depth=depth + 1,
            )
        )
        open_child = open_child or sub["terminated"] == -1
        children.append({draw(kinds): sub})
    before = draw(extras(TIMELINE_KEYS, 1))
    after = draw(extras(TIMELINE_KEYS, 1))
    tl: dict[str, Any] = {**before, "initialized": init, "terminated": term, **after}
    if children or draw(st.booleans()):
        tl["disruptions"] = children
    return tl


uids = st.builds(
    lambda layer, hexpart: f"{layer}-{hexpart}",
    st.integers(0, 40),
    st.text(alphabet="0123456789abcdef", min_size=4, max_size=8),
)


@st.composite
def records(draw: st.DrawFn, uid: str | None = None) -> dict[str, Any]:
    uid = uid if uid is not None else draw(uids)
    before = draw(extras(RECORD_KEYS, 1))
    after = draw(extras(RECORD_KEYS, 2))
    return {**before, "name": draw(texts), "uid": uid, "timeline": draw(timelines()), **after}


@st.composite
def record_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(st.lists(uids, min_size=1, max_size=3, unique=True))
    return [draw(records(uid=k)) for k in keys]


mindmaps = st.dictionaries(texts, st.lists(texts, max_size=3, unique=True), max_size=3)
top_extras = extras(TOP_KEYS, 2)


def depth_of(tl: dict[str, Any]) -> int:
    subs = [sub for item in tl.get("disruptions", []) for sub in item.values()]
    return 1 + max((depth_of(s) for s in subs), default=0) if subs else 0


def assert_valid(doc: dict[str, Any]) -> None:
    assert schema.first_fault(doc) is None, schema.first_fault(doc)


@SETTINGS
@given(rec=records())
def test_generated_records_keep_the_invariants(rec: dict[str, Any]) -> None:
    # The generator itself must only make valid data, or the round trips prove little.
    assert_valid({"processes": {rec["uid"]: rec}})
    assert depth_of(rec["timeline"]) <= MAX_NEST


def chain(depth: int, kind: str = "pause") -> dict[str, Any]:
    """A timeline with ``depth`` nested disruptions, innermost open."""
    tl: dict[str, Any] = {"initialized": depth, "terminated": -1, "disruptions": []}
    for level in range(depth - 1, -1, -1):
        tl = {"initialized": level, "terminated": -1, "disruptions": [{kind: tl}]}
    return tl


# Hand-picked records that must be among the examples.
SEVERAL_OF_A_KIND = {
    "name": "writing",
    "uid": "1-abcd",
    "timeline": {
        "initialized": 0,
        "terminated": -1,
        "disruptions": [
            {"pause": {"initialized": 1, "terminated": 2}},
            {"pause": {"initialized": 3, "terminated": 4, "disruptions": []}},
            {
                "pause": {
                    "initialized": 5,
                    "terminated": -1,
                    "disruptions": [
                        {"pause": {"initialized": 6, "terminated": 7}},
                        {"pause": {"initialized": 8, "terminated": -1}},
                    ],
                }
            },
        ],
    },
    "ключ": {"😀": [1, 2.5, None, True, "x"]},
}
DEEP = {"name": "deep", "uid": "0-0000", "timeline": chain(MAX_NEST), "x": 2**70}
DEEPEST = {"name": "deepest", "uid": "12-abcdef01", "timeline": chain(schema.MAX_DEPTH)}


def _fresh_store(directory: str) -> Store:
    return Store(os.path.join(directory, "sub", "processes.json"))


PADDING = "x" * (codec.BIG + 1024)


def _through_transactions(
    recs: list[dict[str, Any]], mm: dict[str, Any], top: dict[str, Any], pad: bool
) -> tuple[dict[str, Any], Store, str]:
    """Write everything into a fresh store; returns the document expected back."""
    directory = tempfile.mkdtemp(prefix="proc-roundtrip-")
    store = _fresh_store(directory)
    with store.transaction() as doc:
        for key, value in top.items():
            doc.data[key] = copy.deepcopy(value)
        if pad:
            doc.data["padding"] = PADDING
        for rec in recs:
            doc.put(copy.deepcopy(rec))
        if mm:
            doc.mindmap.update(copy.deepcopy(mm))
        doc.touch()
    expected: dict[str, Any] = {"processes": {rec["uid"]: rec for rec in recs}, **top}
    if pad:
        expected["padding"] = PADDING
    if mm:
        expected["mindmap"] = mm
    return expected, store, directory


def _check_store_round_trip(
    recs: list[dict[str, Any]], mm: dict[str, Any], top: dict[str, Any], pad: bool
) -> None:
    expected, store, directory = _through_transactions(recs, mm, top, pad)
    try:
        first = store.read()
        same(first.data, expected)
        if pad:
            assert os.path.getsize(store.path) >= codec.BIG
        # A second change (with a big store, encoded by orjson) keeps everything too.
        with store.transaction() as doc:
            doc.touch()
        same(store.read().data, expected)
        for rec in recs:
            same(store.read().processes[rec["uid"]], rec)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@SETTINGS
@given(recs=record_sets(), mm=mindmaps, top=top_extras)
@example(recs=[SEVERAL_OF_A_KIND, DEEP, DEEPEST], mm={"a": ["b"], "b": ["a"]}, top={"v": 2})
def test_store_round_trip(
    recs: list[dict[str, Any]], mm: dict[str, Any], top: dict[str, Any]
) -> None:
    _check_store_round_trip(recs, mm, top, pad=False)


@SETTINGS
@given(recs=record_sets(), mm=mindmaps, top=top_extras)
@example(recs=[SEVERAL_OF_A_KIND, DEEP, DEEPEST], mm={"a": ["b"], "b": ["a"]}, top={"v": 2})
def test_big_store_round_trip(
    recs: list[dict[str, Any]], mm: dict[str, Any], top: dict[str, Any]
) -> None:
    # Past codec.BIG bytes the store is decoded and encoded with orjson.
    _check_store_round_trip(recs, mm, top, pad=True)


def _check_process_round_trip(recs: list[dict[str, Any]], pad: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="proc-roundtrip-") as directory:
        path = os.path.join(directory, "processes.json")
        if pad:
            Path(path).write_text(json.dumps({"padding": PADDING}), encoding="utf-8")
        for rec in recs:
            proc = Process.load_dict(copy.deepcopy(rec))
            assert proc.write(path) == path
            assert proc.uid == rec["uid"]
        stored = Store(path).read().processes
        assert list(stored) == [rec["uid"] for rec in recs]
        for rec in recs:
            # Record keys may be reordered (name, uid, timeline first); nothing else changes.
            same(stored[rec["uid"]], rec, ordered=False)
            same(stored[rec["uid"]]["timeline"], rec["timeline"])
            loaded = Process.load(rec["uid"], path)
            assert loaded is not None
            same(loaded.to_hierarchical_dict(), rec, ordered=False)
            same(loaded.to_hierearchial_dict()["timeline"], rec["timeline"])
        # Loading everything and storing it again changes nothing.
        before = Store(path).read().data
        for proc in Process.loadAll(path):
            proc.write(path)
        same(Store(path).read().data, before)


@SETTINGS
@given(recs=record_sets())
@example(recs=[SEVERAL_OF_A_KIND, DEEP, DEEPEST])
def test_process_round_trip(recs: list[dict[str, Any]]) -> None:
    _check_process_round_trip(recs, pad=False)


@SETTINGS
@given(recs=record_sets())
@example(recs=[SEVERAL_OF_A_KIND, DEEP, DEEPEST])
def test_big_process_round_trip(recs: list[dict[str, Any]]) -> None:
    _check_process_round_trip(recs, pad=True)


# -- targeted cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("pad", [False, True], ids=["small", "big"])
def test_several_disruptions_of_one_type_survive(store_path: Path, pad: bool) -> None:
    if pad:
        store_path.write_text(json.dumps({"padding": PADDING}), encoding="utf-8")
    proc = Process.load_dict(copy.deepcopy(SEVERAL_OF_A_KIND))
    proc.write(store_path)
    loaded = Process.load("1-abcd", store_path)
    assert loaded is not None
    kinds_seen = [k for item in loaded.serialize_disruptions() for k in item]
    assert kinds_seen == ["pause", "pause", "pause"]
    same(loaded.to_hierarchical_dict(), SEVERAL_OF_A_KIND, ordered=False)


@pytest.mark.parametrize("pad", [False, True], ids=["small", "big"])
@pytest.mark.parametrize(
    "value",
    [
        2**64,
        -(2**63) - 1,
        10**40,
        -(10**30),
        1.5,
        -0.0,
        1e300,
        5e-324,
        "\ud800",
        "a\udfffb",
        {"\udc80": "lone surrogate key"},
        "\u0000\u001f",
        "😀" * 3,
    ],
    ids=repr,
)
def test_awkward_json_values_survive(store_path: Path, pad: bool, value: Any) -> None:
    # Values the stdlib reads from valid JSON (huge integers, lone surrogates from
    # \\u escapes) must survive the big-store path too, which encodes and decodes
    # with orjson.
    rec = {
        "name": "n",
        "uid": "0-abcd",
        "timeline": {"initialized": 0, "terminated": 1},
        "extra": value,
    }
    doc: dict[str, Any] = {"processes": {"0-abcd": rec}}
    if pad:
        doc["padding"] = PADDING
    store_path.write_text(json.dumps(doc), encoding="utf-8")
    same(Store(store_path).read().data, doc)
    other = Process("other", 0, 5, 6)
    other.write(store_path)  # a rewrite (orjson when big)
    after = Store(store_path).read()
    same(after.processes["0-abcd"], rec)
    other.write(store_path)  # and again, now from the rewritten file
    same(Store(store_path).read().processes["0-abcd"], rec)


def test_unknown_keys_survive_a_rewrite_by_another_record(store_path: Path) -> None:
    doc = {
        "format": 7,
        "processes": {
            "2-b7c9": {
                "name": "Validation",
                "colour": "#ff0",
                "uid": "2-b7c9",
                "timeline": {
                    "initialized": 6000,
                    "terminated": -1,
                    "tz": "Europe/Zürich",
                    "disruptions": [
                        {"pause": {"initialized": 6001, "terminated": 6002, "reason": "☕"}}
                    ],
                },
                "tags": ["a", "b"],
            }
        },
        "mindmap": {"Validation": []},
        "zukunft": {"schlüssel": [1, {"x": None}]},
    }
    store_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    new = Process("new", 2, 1, 2)
    new.write(store_path)
    after = json.loads(store_path.read_text(encoding="utf-8"))
    # proc writes "processes" first (one record a line); the other keys keep their order.
    assert list(after) == ["processes", "format", "mindmap", "zukunft"]
    assert after["format"] == 7
    assert after["zukunft"] == doc["zukunft"]
    assert after["mindmap"] == doc["mindmap"]
    same(after["processes"]["2-b7c9"], doc["processes"]["2-b7c9"])
    assert after["processes"][new.uid] == new.to_hierarchical_dict()
    # Removing the new record and clearing the store keep them as well.
    assert Process.remove(new.uid, store_path) is True
    same(json.loads(store_path.read_text(encoding="utf-8")), doc, ordered=False)
    gc.collect()  # storeAll takes every instance not yet collected, even another test's
    Process.storeAll(store_path)
    again = json.loads(store_path.read_text(encoding="utf-8"))
    same(again["processes"]["2-b7c9"], doc["processes"]["2-b7c9"])
    assert again["zukunft"] == doc["zukunft"]


def test_a_big_store_of_many_records_round_trips(store_path: Path) -> None:
    procs = {}
    for i in range(3000):
        uid = f"{i % 5}-{i:04x}"
        procs[uid] = {
            "name": f"job {i} ✓",
            "uid": uid,
            "timeline": {
                "initialized": 1_700_000_000 + i,
                "terminated": 1_700_000_100 + i,
                "disruptions": [
                    {"pause": {"initialized": 1_700_000_010 + i, "terminated": 1_700_000_020 + i}},
                    {
                        "pause": {
                            "initialized": 1_700_000_030 + i,
                            "terminated": 1_700_000_040 + i,
                            "disruptions": [],
                        }
                    },
                ],
            },
        }
    doc = {"processes": procs, "mindmap": {"a": ["b"]}, "meta": {"n": 3000}}
    store_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    assert store_path.stat().st_size > codec.BIG
    same(Store(store_path).read().data, doc)
    p = Process("one more", 1, 5, 6)
    p.write(store_path)
    after = Store(store_path).read().data
    assert after["processes"].pop(p.uid) == p.to_hierarchical_dict()
    same(after, doc)


@pytest.mark.parametrize("pad", [False, True], ids=["small", "big"])
@pytest.mark.parametrize(
    "value",
    # With a huge integer or a lone surrogate beside it, orjson cannot encode the
    # document and the stdlib encoder takes over.
    [math.nan, math.inf, -math.inf, [2**70, math.nan], ["\udc80", -math.inf]],
    ids=repr,
)
def test_a_value_json_cannot_carry_never_makes_the_store_unreadable(
    store_path: Path, pad: bool, value: Any
) -> None:
    # NaN and Infinity are not JSON: written as such, no reader would accept the
    # store again. Such a write is refused (the store unchanged) or stored readably.
    doc: dict[str, Any] = {"processes": {}}
    if pad:
        doc["padding"] = PADDING
    store_path.write_text(json.dumps(doc), encoding="utf-8")
    Process("kept", 0, 1, 2).write(store_path)
    before = store_path.read_bytes()
    rec = {
        "name": "n",
        "uid": "0-abcd",
        "timeline": {"initialized": 0, "terminated": 1},
        "extra": value,
    }
    try:
        Process.load_dict(rec).write(store_path)
    except ValueError:
        assert store_path.read_bytes() == before
    after = Store(store_path).read()  # must not raise
    assert [r["name"] for r in after.processes.values()][0] == "kept"
