"""The user's design document (the ``processes.py`` documentation), its API taken whole.

Sections 3 and 6 of that document list the classes, their methods and what they
return; section 4 the JSON format of the store; section 5 usage examples, which
run here as written apart from the file name (a temporary store instead of
``processes.json`` in the working directory).
"""

from __future__ import annotations

import gc
import inspect
import json
import re
import weakref
from pathlib import Path
from typing import Any

import pytest

import processes
from processes import Mindmap, Process, Store, TimeStamp

# The store of the design document's section 4, written out by hand.
SEED_DOCUMENT: dict[str, Any] = {
    "processes": {
        "1-a3f2": {
            "name": "Training",
            "uid": "1-a3f2",
            "timeline": {
                "initialized": 1000,
                "terminated": 5000,
                "disruptions": [{"pause": {"initialized": 2000, "terminated": 2500}}],
            },
        },
        "2-b7c9": {
            "name": "Validation",
            "uid": "2-b7c9",
            "timeline": {"initialized": 6000, "terminated": -1, "disruptions": []},
        },
    }
}


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _params(func: Any) -> list[tuple[str, Any]]:
    sig = inspect.signature(func)
    return [(p.name, p.default) for p in sig.parameters.values()]


E = inspect.Parameter.empty


# -- the module ------------------------------------------------------------------------------


def test_public_names_are_importable_from_the_package() -> None:
    from processes import Mindmap as M
    from processes import Process as P
    from processes import TimeStamp as T

    assert (M, P, T) == (Mindmap, Process, TimeStamp)
    for name in ("Mindmap", "Process", "TimeStamp"):
        assert name in processes.__all__


def test_process_extends_timestamp() -> None:
    assert issubclass(Process, TimeStamp)
    assert isinstance(Process("x", 0, 0, 1), TimeStamp)


# -- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "name", "kind", "params"),
    [
        (Mindmap, "__init__", "function", [("self", E), ("map", E)]),
        (Mindmap, "nodes", "function", [("self", E)]),
        (Mindmap, "edges", "function", [("self", E)]),
        (Mindmap, "connections", "function", [("self", E), ("node", E)]),
        (Mindmap, "connected", "function", [("self", E), ("src", E), ("node", E)]),
        (
            TimeStamp,
            "__init__",
            "function",
            [("self", E), ("_init", E), ("_term", E), ("_dis", None)],
        ),
        (TimeStamp, "add_disruption", "function", [("self", E), ("type", E), ("ts", E)]),
        (TimeStamp, "serialize_disruptions", "function", [("self", E)]),
        (TimeStamp, "to_hierarchical_dict", "function", [("self", E)]),
        (TimeStamp, "to_hierearchial_dict", "function", [("self", E)]),
        (TimeStamp, "de_serialize", "static", [("dis", E)]),
        (
            Process,
            "__init__",
            "function",
            [("self", E), ("name", E), ("layer", E), ("_init", E), ("_term", E), ("_dis", None)],
        ),
        (Process, "to_hierearchial_dict", "function", [("self", E)]),
        (Process, "to_hierarchical_dict", "function", [("self", E)]),
        (Process, "to_storage_dict", "function", [("self", E)]),
        (Process, "write", "function", [("self", E), ("ofile", E)]),
        (Process, "load_dict", "class", [("data", E)]),
        (Process, "storeAll", "class", [("ofile", E)]),
        (Process, "loadAll", "class", [("ofile", E)]),
        (Process, "load", "class", [("uid", E), ("ofile", E)]),
        (Process, "get_layer_from_uid", "static", [("uid", E)]),
        (Process, "remove", "static", [("uid", E), ("ofile", E)]),
        (Process, "clear_storage", "static", [("ofile", E)]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_documented_signature(owner: type, name: str, kind: str, params: list[Any]) -> None:
    raw = inspect.getattr_static(owner, name)
    expected_kind = {"function": type(lambda: 0), "static": staticmethod, "class": classmethod}
    assert isinstance(raw, expected_kind[kind])
    assert _params(getattr(owner, name)) == params


def test_connect_takes_src_node_and_direction() -> None:
    names = [n for n, _ in _params(Mindmap.connect)]
    assert names == ["self", "src", "node", "direction"]
    # The direction may be passed by keyword and positionally.
    mm = Mindmap({})
    mm.connect("a", "b", direction=False)
    mm.connect("c", "d", True)
    assert mm.map == {"a": ["b"], "b": [], "c": [], "d": ["c"]}


# -- Mindmap ---------------------------------------------------------------------------------


def test_mindmap_keeps_the_dict_it_was_given() -> None:
    graph = {"a": ["b"], "b": []}
    mm = Mindmap(graph)
    assert mm.map is graph
    mm.connect("b", "c", False)
    assert graph == {"a": ["b"], "b": ["c"], "c": []}


def test_mindmap_nodes_and_edges_return_dict_views() -> None:
    mm = Mindmap({"a": ["b", "c"], "b": [], "c": ["a"]})
    nodes = mm.nodes()
    edges = mm.edges()
    assert type(nodes) is type({}.keys())
    assert type(edges) is type({}.values())
    assert list(nodes) == ["a", "b", "c"]
    assert list(edges) == [["b", "c"], [], ["a"]]
    # Views are live.
    mm.connect("d", "a", False)
    assert "d" in nodes
    assert ["a"] in list(edges)


def test_mindmap_connections_is_the_list_of_targets() -> None:
    mm = Mindmap({"a": ["b", "c"], "b": []})
    assert mm.connections("a") == ["b", "c"]
    assert isinstance(mm.connections("a"), list)
    assert mm.connections("b") == []
    assert mm.connections("nowhere") == []


def test_mindmap_connected_is_directional() -> None:
    mm = Mindmap({"a": ["b"], "b": []})
    assert mm.connected("a", "b") is True
    assert mm.connected("b", "a") is False
    assert mm.connected("a", "zzz") is False
    assert mm.connected("zzz", "a") is False


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        (None, {"src": ["node"], "node": ["src"]}),
        (False, {"src": ["node"], "node": []}),
        (True, {"src": [], "node": ["src"]}),
    ],
)
def test_mindmap_connect_directions(direction: bool | None, expected: dict[str, Any]) -> None:
    mm = Mindmap({})
    assert mm.connect("src", "node", direction) is None
    assert mm.map == expected
    assert mm.connected("src", "node") is (direction is not True)
    assert mm.connected("node", "src") is (direction is not False)


def test_mindmap_connect_default_direction_is_both_ways() -> None:
    mm = Mindmap({})
    mm.connect("a", "b")
    assert mm.map == {"a": ["b"], "b": ["a"]}


def test_mindmap_connect_never_duplicates_an_edge() -> None:
    mm = Mindmap({"a": ["b"], "b": []})
    for direction in (None, False, True, None, False):
        mm.connect("a", "b", direction)
    assert mm.map == {"a": ["b"], "b": ["a"]}
    mm.connect("a", "c", False)
    mm.connect("a", "c", False)
    assert mm.map["a"] == ["b", "c"]


def test_mindmap_connect_creates_missing_nodes_and_keeps_existing_edges() -> None:
    mm = Mindmap({"a": ["x"]})
    mm.connect("a", "b", False)
    assert mm.map == {"a": ["x", "b"], "b": []}
    mm.connect("c", "a", True)  # a -> c
    assert mm.map == {"a": ["x", "b", "c"], "b": [], "c": []}


def test_mindmap_cycles_are_allowed_and_walks_terminate() -> None:
    mm = Mindmap({})
    mm.connect("a", "b")
    mm.connect("b", "c", False)
    mm.connect("c", "a", False)
    assert mm.connected("a", "b") and mm.connected("b", "a")
    assert sorted(mm.reachable("a")) == ["a", "b", "c"]


# -- TimeStamp -------------------------------------------------------------------------------


def test_timestamp_constructor_sets_ts() -> None:
    ts = TimeStamp(10, 20)
    assert ts.ts == {"initialized": 10, "terminated": 20, "disruptions": []}
    assert list(ts.ts) == ["initialized", "terminated", "disruptions"]
    ongoing = TimeStamp(10, -1)
    assert ongoing.ts["terminated"] == -1


def test_timestamp_constructor_with_disruptions_dict() -> None:
    pause = TimeStamp(12, 14)
    meeting = TimeStamp(15, 16)
    ts = TimeStamp(10, 20, {"pause": pause, "meeting": meeting})
    assert ts.ts["disruptions"] == [{"pause": pause}, {"meeting": meeting}]
    assert ts.ts["disruptions"][0]["pause"] is pause


def test_add_disruption_returns_none_and_keeps_several_of_one_type() -> None:
    ts = TimeStamp(0, 100)
    first, second = TimeStamp(10, 20), TimeStamp(30, 40)
    assert ts.add_disruption("pause", first) is None
    assert ts.add_disruption("pause", second) is None
    assert ts.ts["disruptions"] == [{"pause": first}, {"pause": second}]


def test_serialize_disruptions_is_json_ready_and_nested() -> None:
    inner = TimeStamp(12, 13)
    outer = TimeStamp(11, 15, {"async": inner})
    ts = TimeStamp(0, 100)
    ts.add_disruption("pause", outer)
    ts.add_disruption("pause", TimeStamp(50, 60))
    out = ts.serialize_disruptions()
    assert isinstance(out, list)
    assert out == [
        {
            "pause": {
                "initialized": 11,
                "terminated": 15,
                "disruptions": [
                    {"async": {"initialized": 12, "terminated": 13, "disruptions": []}}
                ],
            }
        },
        {"pause": {"initialized": 50, "terminated": 60, "disruptions": []}},
    ]
    assert json.loads(json.dumps(out)) == out


def test_timestamp_to_hierarchical_dict_both_spellings() -> None:
    ts = TimeStamp(0, 100)
    ts.add_disruption("pause", TimeStamp(10, 20))
    expected = {
        "initialized": 0,
        "terminated": 100,
        "disruptions": [{"pause": {"initialized": 10, "terminated": 20, "disruptions": []}}],
    }
    assert ts.to_hierarchical_dict() == expected
    assert ts.to_hierearchial_dict() == expected
    assert isinstance(ts.to_hierarchical_dict(), dict)
    # The result is a copy: changing it does not change the timestamp.
    ts.to_hierarchical_dict()["disruptions"].clear()
    assert ts.to_hierarchical_dict() == expected


def test_de_serialize_returns_timestamps_keyed_by_type() -> None:
    dis = [
        {
            "pause": {
                "initialized": 10,
                "terminated": 20,
                "disruptions": [{"call": {"initialized": 11, "terminated": 12}}],
            }
        },
        {"meeting": {"initialized": 30, "terminated": 40}},
    ]
    out = TimeStamp.de_serialize(dis)
    assert isinstance(out, dict)
    assert list(out) == ["pause", "meeting"]
    assert all(isinstance(v, TimeStamp) for v in out.values())
    assert out["pause"].to_hierarchical_dict() == dis[0]["pause"]
    assert out["meeting"].to_hierarchical_dict() == dis[1]["meeting"]
    nested = out["pause"].ts["disruptions"][0]["call"]
    assert isinstance(nested, TimeStamp)
    assert nested.ts["initialized"] == 11


def test_de_serialize_keyed_by_type_keeps_the_last_of_a_type() -> None:
    # As documented, the result is a dict by type: of two pauses only one remains.
    out = TimeStamp.de_serialize(
        [
            {"pause": {"initialized": 1, "terminated": 2}},
            {"pause": {"initialized": 3, "terminated": 4}},
        ]
    )
    assert list(out) == ["pause"]
    assert out["pause"].ts["initialized"] == 3
    assert TimeStamp.de_serialize([]) == {}


def test_de_serialize_feeds_the_constructor() -> None:
    dis = [{"pause": {"initialized": 10, "terminated": 20, "disruptions": []}}]
    ts = TimeStamp(0, 100, TimeStamp.de_serialize(dis))
    assert ts.serialize_disruptions() == dis


# -- Process ---------------------------------------------------------------------------------


UID_RE = re.compile(r"^\d+-[0-9a-f]{4,}$")


def test_process_constructor_and_uid() -> None:
    p = Process("Training", layer=1, _init=0, _term=100)
    assert p.name == "Training"
    assert p.layer == 1
    assert re.fullmatch(r"1-[0-9a-f]{4}", p.uid)
    assert p.ts == {"initialized": 0, "terminated": 100, "disruptions": []}
    q = Process("Other", 0, 5, -1, {"pause": TimeStamp(6, 7)})
    assert q.uid.startswith("0-")
    assert q.uid != p.uid
    assert q.serialize_disruptions() == [
        {"pause": {"initialized": 6, "terminated": 7, "disruptions": []}}
    ]


@pytest.mark.parametrize("layer", [-1, "1", 1.0, None])
def test_process_rejects_a_bad_layer(layer: Any) -> None:
    with pytest.raises(ValueError):
        Process("x", layer, 0, 1)


def test_process_to_hierarchical_dict_both_spellings() -> None:
    p = Process("Training", 1, 0, 100)
    p.add_disruption("pause", TimeStamp(50, 75))
    expected = {
        "name": "Training",
        "uid": p.uid,
        "timeline": {
            "initialized": 0,
            "terminated": 100,
            "disruptions": [{"pause": {"initialized": 50, "terminated": 75, "disruptions": []}}],
        },
    }
    assert p.to_hierarchical_dict() == expected
    assert p.to_hierearchial_dict() == expected
    assert list(p.to_hierarchical_dict()) == ["name", "uid", "timeline"]


def test_process_to_storage_dict_is_uid_and_record() -> None:
    p = Process("Validation", 2, 100, 200)
    out = p.to_storage_dict()
    assert isinstance(out, tuple)
    assert len(out) == 2
    uid, rec = out
    assert uid == p.uid
    assert rec == p.to_hierarchical_dict()


def test_write_returns_the_path_and_stores_the_documented_shape(store_path: Path) -> None:
    p = Process("Training", 1, 1000, 5000)
    p.add_disruption("pause", TimeStamp(2000, 2500))
    result = p.write(store_path)
    assert isinstance(result, str)
    assert result == str(store_path)
    assert _read_json(store_path) == {
        "processes": {
            p.uid: {
                "name": "Training",
                "uid": p.uid,
                "timeline": {
                    "initialized": 1000,
                    "terminated": 5000,
                    "disruptions": [
                        {"pause": {"initialized": 2000, "terminated": 2500, "disruptions": []}}
                    ],
                },
            }
        }
    }
    # Writing again updates in place.
    p.ts["terminated"] = 6000
    p.write(str(store_path))
    doc = _read_json(store_path)
    assert list(doc["processes"]) == [p.uid]
    assert doc["processes"][p.uid]["timeline"]["terminated"] == 6000


def test_write_refuses_an_invalid_process_and_leaves_the_store(store_path: Path) -> None:
    Process("ok", 0, 0, 10).write(store_path)
    before = store_path.read_bytes()
    bad = Process("bad", 0, 100, 50)  # ends before it starts
    with pytest.raises(processes.InvalidRecordError):
        bad.write(store_path)
    assert store_path.read_bytes() == before


def test_load_dict_returns_a_process_keeping_the_uid() -> None:
    rec = {
        "name": "Training",
        "uid": "3-beef",
        "timeline": {
            "initialized": 0,
            "terminated": -1,
            "disruptions": [
                {"pause": {"initialized": 5, "terminated": 6, "disruptions": []}},
                {"pause": {"initialized": 7, "terminated": -1, "disruptions": []}},
            ],
        },
    }
    p = Process.load_dict(rec)
    assert type(p) is Process
    assert p.uid == "3-beef"
    assert p.layer == 3
    assert p.name == "Training"
    assert p.to_hierarchical_dict() == rec
    assert all(isinstance(v, TimeStamp) for d in p.ts["disruptions"] for v in d.values())


def test_load_dict_accepts_a_record_without_disruptions(store_path: Path) -> None:
    data = {"name": "Test", "uid": "1-1234", "timeline": {"initialized": 0, "terminated": 100}}
    p = Process.load_dict(data)
    assert p.uid == "1-1234"
    assert p.serialize_disruptions() == []
    assert p.ts["initialized"] == 0 and p.ts["terminated"] == 100
    # A record without the key round-trips without it.
    assert p.to_hierarchical_dict() == data
    p.write(store_path)
    assert _read_json(store_path)["processes"]["1-1234"] == data
    # Adding a disruption makes the key appear.
    p.add_disruption("pause", TimeStamp(10, 20))
    assert p.to_hierarchical_dict()["timeline"]["disruptions"] == [
        {"pause": {"initialized": 10, "terminated": 20, "disruptions": []}}
    ]


def test_load_dict_keeps_unknown_keys() -> None:
    data = {
        "name": "n",
        "uid": "0-abcd",
        "timeline": {"initialized": 0, "terminated": 1, "note": "kept"},
        "colour": "red",
    }
    assert Process.load_dict(data).to_hierarchical_dict() == data


def test_store_all_merges_every_live_instance(store_path: Path) -> None:
    _write_json(store_path, SEED_DOCUMENT)
    gc.collect()
    a = Process("A", 0, 10, 20)
    b = Process("B", 3, 30, -1)
    result = Process.storeAll(store_path)
    assert isinstance(result, str) and result == str(store_path)
    procs = _read_json(store_path)["processes"]
    live = {p.uid: p for p in Process._Process__instances}  # type: ignore[attr-defined]
    # Every live instance is stored, and the records that were there stay.
    assert set(procs) == set(live) | set(SEED_DOCUMENT["processes"])
    assert procs[a.uid] == a.to_hierarchical_dict()
    assert procs[b.uid] == b.to_hierarchical_dict()
    for uid, rec in SEED_DOCUMENT["processes"].items():
        assert procs[uid] == rec
    # A changed instance is updated in place by the next storeAll.
    b.add_disruption("pause", TimeStamp(40, 50))
    Process.storeAll(store_path)
    procs2 = _read_json(store_path)["processes"]
    assert set(procs2) == set(procs)
    assert procs2[b.uid]["timeline"]["disruptions"] == [
        {"pause": {"initialized": 40, "terminated": 50, "disruptions": []}}
    ]


def test_load_all_returns_processes(store_path: Path) -> None:
    assert Process.loadAll(store_path) == []
    _write_json(store_path, SEED_DOCUMENT)
    out = Process.loadAll(store_path)
    assert isinstance(out, list)
    assert all(type(p) is Process for p in out)
    assert {p.uid: p.to_hierarchical_dict() for p in out} == SEED_DOCUMENT["processes"]
    assert {p.uid: p.layer for p in out} == {"1-a3f2": 1, "2-b7c9": 2}


def test_load_by_uid_and_none_for_a_missing_uid(store_path: Path) -> None:
    assert Process.load("1-a3f2", store_path) is None  # no store at all
    _write_json(store_path, SEED_DOCUMENT)
    p = Process.load("1-a3f2", store_path)
    assert isinstance(p, Process)
    assert p.name == "Training"
    assert p.to_hierarchical_dict() == SEED_DOCUMENT["processes"]["1-a3f2"]
    assert Process.load("1-ffff", store_path) is None
    assert Process.load("9-a3f2", store_path) is None


@pytest.mark.parametrize(
    ("uid", "layer"),
    [("1-a3f2", 1), ("0-0000", 0), ("12-abcdef", 12), ("7-0123456789abcdef", 7)],
)
def test_get_layer_from_uid(uid: str, layer: int) -> None:
    assert Process.get_layer_from_uid(uid) == layer
    assert type(Process.get_layer_from_uid(uid)) is int


@pytest.mark.parametrize("uid", ["", "abcd", "-abcd", "x-abcd"])
def test_get_layer_from_uid_rejects_a_non_uid(uid: str) -> None:
    with pytest.raises(ValueError):
        Process.get_layer_from_uid(uid)


def test_remove_returns_true_then_false(store_path: Path) -> None:
    assert Process.remove("1-a3f2", store_path) is False
    assert not store_path.exists()  # removing from nothing writes nothing
    _write_json(store_path, SEED_DOCUMENT)
    assert Process.remove("1-a3f2", store_path) is True
    assert _read_json(store_path)["processes"] == {"2-b7c9": SEED_DOCUMENT["processes"]["2-b7c9"]}
    before = store_path.read_bytes()
    assert Process.remove("1-a3f2", store_path) is False
    assert store_path.read_bytes() == before


def test_clear_storage_removes_every_process_only(store_path: Path) -> None:
    doc = json.loads(json.dumps(SEED_DOCUMENT))
    doc["mindmap"] = {"Training": ["Validation"], "Validation": []}
    doc["future"] = {"kept": True}
    _write_json(store_path, doc)
    assert Process.clear_storage(store_path) is None
    after = _read_json(store_path)
    assert after == {"processes": {}, "mindmap": doc["mindmap"], "future": {"kept": True}}
    assert Process.loadAll(store_path) == []


# -- automatic instance tracking -------------------------------------------------------------


def test_instances_is_a_weakset_of_live_processes() -> None:
    tracked = Process._Process__instances  # type: ignore[attr-defined]
    assert isinstance(tracked, weakref.WeakSet)
    p = Process("tracked", 5, 0, -1)
    loaded = Process.load_dict(
        {"name": "copy", "uid": "5-feed", "timeline": {"initialized": 0, "terminated": 1}}
    )
    assert p in tracked
    assert loaded in tracked
    assert p in Process.instances() and loaded in Process.instances()
    ref = weakref.ref(p)
    before = len(tracked)
    del p
    gc.collect()
    assert ref() is None
    assert len(tracked) == before - 1
    assert all(q.name != "tracked" for q in tracked)
    assert loaded in tracked


def test_a_dropped_instance_is_not_stored_by_store_all(store_path: Path) -> None:
    kept = Process("kept", 0, 0, 1)
    gone = Process("gone", 0, 0, 1)
    gone_uid = gone.uid
    del gone
    gc.collect()
    Process.storeAll(store_path)
    procs = _read_json(store_path)["processes"]
    assert kept.uid in procs
    assert gone_uid not in procs


# -- the JSON storage format (section 4) -----------------------------------------------------


def test_seed_json_format_is_read_and_rewritten_losslessly(store_path: Path) -> None:
    _write_json(store_path, SEED_DOCUMENT)
    assert Store(store_path).read().data == SEED_DOCUMENT
    extra = Process("Extra", 0, 7000, 8000)
    extra.write(store_path)
    doc = _read_json(store_path)
    assert list(doc) == ["processes"]
    assert doc["processes"]["1-a3f2"] == SEED_DOCUMENT["processes"]["1-a3f2"]
    assert doc["processes"]["2-b7c9"] == SEED_DOCUMENT["processes"]["2-b7c9"]
    assert doc["processes"][extra.uid] == extra.to_hierarchical_dict()
    # Written as the documented dictionary keyed by UID, record keys in order.
    for uid, rec in doc["processes"].items():
        assert rec["uid"] == uid
        assert list(rec) == ["name", "uid", "timeline"]
        assert list(rec["timeline"])[:2] == ["initialized", "terminated"]


# -- section 5: usage examples, as written ---------------------------------------------------


def test_example_creating_and_saving_processes(store_path: Path) -> None:
    gc.collect()
    path = str(store_path)

    # Create processes (auto-tracked)
    p1 = Process("Training", layer=1, _init=0, _term=100)
    p2 = Process("Validation", layer=2, _init=100, _term=200)

    # Add disruption
    pause = TimeStamp(50, 75)
    p1.add_disruption("pause", pause)

    # Save single process
    p1.write(path)
    after_p1 = _read_json(store_path)

    # Save all tracked instances
    Process.storeAll(path)

    p1_record = {
        "name": "Training",
        "uid": p1.uid,
        "timeline": {
            "initialized": 0,
            "terminated": 100,
            "disruptions": [{"pause": {"initialized": 50, "terminated": 75, "disruptions": []}}],
        },
    }
    p2_record = {
        "name": "Validation",
        "uid": p2.uid,
        "timeline": {"initialized": 100, "terminated": 200, "disruptions": []},
    }
    assert after_p1 == {"processes": {p1.uid: p1_record}}
    doc = _read_json(store_path)
    assert list(doc) == ["processes"]
    assert doc["processes"][p1.uid] == p1_record
    assert doc["processes"][p2.uid] == p2_record
    others = set(doc["processes"]) - {p1.uid, p2.uid}
    live = {p.uid for p in Process._Process__instances}  # type: ignore[attr-defined]
    assert others <= live  # nothing but live instances was added
    assert re.fullmatch(r"1-[0-9a-f]{4}", p1.uid)
    assert re.fullmatch(r"2-[0-9a-f]{4}", p2.uid)


def test_example_loading_processes(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_json(store_path, SEED_DOCUMENT)
    path = str(store_path)

    # O(1) lookup by UID
    p = Process.load("1-a3f2", path)
    if p:
        print(f"Found: {p.name}")

    # Load all processes
    all_processes = Process.loadAll(path)

    # Load from dictionary (for custom processing)
    data = {"name": "Test", "uid": "1-1234", "timeline": {"initialized": 0, "terminated": 100}}
    p = Process.load_dict(data)

    assert capsys.readouterr().out == "Found: Training\n"
    assert sorted(q.name for q in all_processes) == ["Training", "Validation"]
    assert p.name == "Test" and p.uid == "1-1234" and p.layer == 1


def test_example_loading_after_saving(store_path: Path) -> None:
    path = str(store_path)
    p1 = Process("Training", layer=1, _init=0, _term=100)
    p1.write(path)

    p = Process.load("1-a3f2", path)
    assert (p is None) == (p1.uid != "1-a3f2")
    p = Process.load(p1.uid, path)
    assert p is not None and p.name == "Training"
    assert p.to_hierarchical_dict() == p1.to_hierarchical_dict()


def test_example_removing_processes(store_path: Path) -> None:
    doc = json.loads(json.dumps(SEED_DOCUMENT))
    doc["mindmap"] = {"Training": ["Validation"]}
    _write_json(store_path, doc)
    path = str(store_path)

    # Remove single process
    success = Process.remove("1-a3f2", path)

    # Clear all storage
    Process.clear_storage(path)

    assert success is True
    assert Process.loadAll(path) == []
    assert _read_json(store_path) == {"processes": {}, "mindmap": {"Training": ["Validation"]}}


def test_example_using_mindmap_for_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    # Create process dependency map
    mindmap = Mindmap(
        {
            "DataLoading": [],
            "Preprocessing": ["DataLoading"],
            "Training": ["Preprocessing"],
            "Validation": ["Training"],
        }
    )

    # Check dependencies
    print(mindmap.connections("Training"))  # ["Preprocessing"]
    print(mindmap.connected("DataLoading", "Training"))  # False

    assert capsys.readouterr().out == "['Preprocessing']\nFalse\n"
    assert mindmap.connected("Training", "Preprocessing") is True
