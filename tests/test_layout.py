"""The one-record-a-line layout and the lazy document read from it.

A lazy document (bytes proc wrote, decoded only where touched) must behave
exactly like an eager one (everything decoded): same records, same active set,
and a write that gives the very bytes a full re-encoding would give.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processes import Process, Store, StoreError, layout, tracker
from processes.store import Document

NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12
) | st.sampled_from(['x","terminated":-1', '"terminated":-1', "a\nb", "\u2028", "}\n},"])


@st.composite
def records(draw: Any, uid: str) -> dict[str, Any]:
    start = draw(st.integers(0, 10_000))
    active = draw(st.booleans())
    end = -1 if active else start + draw(st.integers(0, 1000))
    dis: list[dict[str, Any]] = []
    if draw(st.booleans()):
        hi = 10_000 + start if active else end
        a = draw(st.integers(start, hi))
        open_pause = active and draw(st.booleans())
        b = -1 if open_pause else draw(st.integers(a, hi))
        dis.append({draw(st.sampled_from(["pause", "call"])): {"initialized": a, "terminated": b}})
    rec: dict[str, Any] = {
        "name": draw(NAMES),
        "uid": uid,
        "timeline": {"initialized": start, "terminated": end, "disruptions": dis},
    }
    if draw(st.booleans()):
        rec["note"] = draw(NAMES)
    return rec


UIDS = [f"{i % 3}-{i:04x}" for i in range(40)]


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(UIDS), unique=True, max_size=12))
    doc: dict[str, Any] = {"processes": {u: draw(records(u)) for u in chosen}}
    if draw(st.booleans()):
        doc["mindmap"] = {"a": ["b"], "b": []}
    if draw(st.booleans()):
        doc["extra"] = {"keep": [1, "two"]}
    return doc


OPS = st.lists(
    st.tuples(st.sampled_from(["put", "delete", "link", "get"]), st.sampled_from(UIDS)),
    max_size=10,
)


def lazy(doc: dict[str, Any]) -> Document:
    return Document(None, "mem", raw=layout.encode(doc))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), ops=OPS, data=st.data())
def test_lazy_and_eager_documents_agree(doc: dict[str, Any], ops: Any, data: Any) -> None:
    eager = Document(json.loads(json.dumps(doc)), "mem")
    lz = lazy(doc)
    assert lz._layout is not None
    assert sorted(r["uid"] for r in lz.active()) == sorted(r["uid"] for r in eager.active())
    for op, uid in ops:
        if op == "put":
            rec = data.draw(records(uid))
            eager.put(json.loads(json.dumps(rec)))
            lz.put(rec)
        elif op == "delete":
            assert eager.delete(uid) == lz.delete(uid)
        elif op == "link":
            for d in (eager, lz):
                d.mindmap.setdefault("n", []).append(uid)
                d.touch()
        else:
            assert eager.get(uid) == lz.get(uid)
            assert (uid in eager) == (uid in lz)
    assert lz._layout is not None  # nothing above needed a full decode
    out = lz.encode()
    assert out == layout.encode(eager.data)
    assert json.loads(out) == eager.data
    assert sorted(r["uid"] for r in lz.active()) == sorted(r["uid"] for r in eager.active())


@given(doc=documents())
def test_layout_is_the_seed_format_with_one_record_a_line(doc: dict[str, Any]) -> None:
    raw = layout.encode(doc)
    assert json.loads(raw) == {"processes": {}, **doc} if not doc["processes"] else doc
    lines = raw.decode("utf-8").split("\n")
    assert lines[0] == '{"processes":{'
    assert len(lines) == len(doc["processes"]) + 3  # head, records, closing line, ""


def test_a_store_proc_wrote_is_read_lazily(store_path: Path) -> None:
    store = Store(store_path)
    for name in ("a", "b", "c"):
        tracker.start(store, name)
    doc = store.read()
    assert doc._layout is not None
    assert sorted(r["name"] for r in tracker.active(doc)) == ["a", "b", "c"]
    assert doc._layout is not None  # status needs no full decode


def test_a_file_edited_by_hand_is_validated_in_full(store_path: Path) -> None:
    store = Store(store_path)
    uid = tracker.start(store, "a").record["uid"]
    text = store_path.read_text()
    # A hand edit that breaks an invariant but keeps the layout: must not be trusted.
    broken = text.replace('"terminated":-1', '"terminated":-7')
    store_path.write_text(broken)
    with pytest.raises(StoreError) as err:
        store.read()
    assert err.value.where == f'$.processes["{uid}"].timeline.terminated'
    with pytest.raises(StoreError):
        tracker.start(store, "b")
    assert store_path.read_text() == broken


def test_a_valid_hand_edit_is_read_eagerly_then_trusted_after_the_next_write(
    store_path: Path,
) -> None:
    store = Store(store_path)
    tracker.start(store, "a")
    data = json.loads(store_path.read_text())
    store_path.write_text(json.dumps(data, indent=4))  # not proc's layout
    assert store.read()._layout is None
    tracker.start(store, "b")
    assert store.read()._layout is not None
    assert store_path.read_text().startswith('{"processes":{\n')


def test_undo_forgets_the_stamp(store_path: Path) -> None:
    store = Store(store_path)
    tracker.start(store, "a")
    tracker.start(store, "b")
    store.undo()
    assert Path(str(store_path) + ".lock").read_bytes() == b""
    doc = store.read()
    assert doc._layout is None
    assert [r["name"] for r in doc.processes.values()] == ["a"]


def test_process_write_and_lazy_reads_agree(store_path: Path) -> None:
    p = Process("Training", 1, 0, 100)
    p.write(store_path)
    q = Process("Other", 0, 5, -1)
    q.write(store_path)
    doc = Store(store_path).read()
    assert doc.get(p.uid) == p.to_hierarchical_dict()
    assert [r["uid"] for r in doc.active()] == [q.uid]
    assert Process.load(p.uid, store_path) is not None


def test_stamp_names_the_file_version(store_path: Path) -> None:
    store = Store(store_path)
    tracker.start(store, "a")
    stamp = Path(str(store_path) + ".lock").read_bytes()
    st_ = os.stat(store_path)
    assert stamp.split() == [
        b"proc-layout-1",
        str(st_.st_dev).encode(),
        str(st_.st_ino).encode(),
        str(st_.st_size).encode(),
        str(st_.st_mtime_ns).encode(),
    ]
