"""The fast full listing (cache of derived fields) gives exactly the general path's
records, whatever state the cache is in."""

from __future__ import annotations

import json
import marshal
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processes import Store, tracker
from processes.listing import MAGIC, MAX_CHUNKS, _load, cache_path, lines
from processes.timeline import enrich, latest_event

NOW = 2_000_000_000


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)


def fast(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    got = lines(store.read(), store, NOW, limit)
    if not os.path.exists(store.path):  # nothing written yet: the general path lists it
        assert got is None
        return []
    assert got is not None, "the store should have been read lazily"
    return [json.loads(line, object_pairs_hook=no_duplicates) for line in got]


def general(store: Store, limit: int | None = None) -> list[dict[str, Any]]:
    doc = store.read()
    return [enrich(r, NOW) for r in tracker.select(doc, tracker.Filter(limit=limit), NOW)]


def build(store: Store, steps: list[tuple[str, int]], t: int = 1_000_000) -> None:
    for op, n in steps:
        t += 10 + n
        active = tracker.active(store.read())
        if op == "start":
            at = t if n % 3 else t - 5_000  # sometimes in the past: out of order
            tracker.start(store, f"job{n % 4}", at=at, now=NOW)
        elif op == "stop" and active:
            rec = active[n % len(active)]
            tracker.stop(store, rec["uid"], at=max(t, latest_event(rec["timeline"])), now=NOW)
        elif op == "pause" and active:
            rec = active[n % len(active)]
            tracker.pause(store, rec["uid"], at=max(t, latest_event(rec["timeline"])), now=NOW)


STEPS = st.lists(
    st.tuples(st.sampled_from(["start", "start", "stop", "pause"]), st.integers(0, 50)),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, more=STEPS)
def test_fast_listing_equals_the_general_one(tmp_path: Path, steps: Any, more: Any) -> None:
    path = tmp_path / f"s-{os.urandom(4).hex()}.json"
    store = Store(path)
    build(store, steps)
    expected = general(store)
    assert fast(store) == expected  # cold cache
    assert fast(store) == expected  # warm cache
    build(store, more, t=2_000_000 - 1_000_000 // 2)  # records change, stop, appear
    assert fast(store) == general(store)
    assert fast(store, 3) == general(store, 3)


def test_a_damaged_or_lying_cache_entry_is_recomputed(store_path: Path) -> None:
    store = Store(store_path)
    uid = tracker.start(store, "a", at=100, now=NOW).record["uid"]
    tracker.stop(store, uid, at=200, now=NOW)
    expected = general(store)
    assert fast(store) == expected
    cache = Path(cache_path(store))

    def write(payload: bytes) -> None:
        cache.write_bytes(MAGIC + b"%08x %d\n" % (zlib.crc32(payload), len(payload)) + payload)

    def read() -> Any:
        entries, _, damaged = _load(str(cache))
        assert not damaged
        return entries

    entries = read()
    crc, start, suffix = entries[uid.encode()]
    # An entry whose CRC no longer matches the record is recomputed...
    entries[uid.encode()] = (crc + 1, start, b',"state":"lie"}')
    write(marshal.dumps(entries))
    assert fast(store) == expected
    # ...entries of the wrong shape are ignored...
    write(marshal.dumps({uid.encode(): "nonsense"}))
    assert fast(store) == expected
    # ...and a damaged file (its checksum fails) is ignored and rewritten.
    good = cache.read_bytes()
    cache.write_bytes(good[:-3] + b"xyz")
    assert fast(store) == expected
    assert read() == {uid.encode(): (crc, start, suffix)}
    cache.write_bytes(MAGIC + b"not marshal data")
    assert fast(store) == expected
    assert read() == {uid.encode(): (crc, start, suffix)}


def test_a_changed_stopped_record_is_not_served_from_the_cache(store_path: Path) -> None:
    store = Store(store_path)
    uid = tracker.start(store, "a", at=100, now=NOW).record["uid"]
    tracker.stop(store, uid, at=200, now=NOW)
    assert fast(store)[0]["duration_s"] == 100
    with store.transaction() as doc:
        rec = doc.get(uid)
        assert rec is not None
        rec["timeline"]["terminated"] = 300
        doc.put(rec)
    assert fast(store)[0]["duration_s"] == 200


def test_a_stored_key_with_a_derived_name_is_replaced_not_doubled(store_path: Path) -> None:
    store = Store(store_path)
    tracker.start(store, "a", at=100, now=NOW, extra={"state": "mine", "layer": "x"})
    uid = tracker.start(store, "b", at=150, now=NOW).record["uid"]
    tracker.stop(store, uid, at=160, now=NOW)
    got = fast(store)  # fails on a duplicate key
    assert got == general(store)
    assert got[0]["state"] == "running" and got[0]["layer"] == 0


def test_a_store_read_in_full_uses_the_general_path(store_path: Path) -> None:
    store_path.write_text(
        json.dumps(
            {
                "processes": {
                    "0-abcd": {
                        "name": "a",
                        "uid": "0-abcd",
                        "timeline": {"initialized": 1, "terminated": 2},
                    }
                }
            }
        )
    )
    store = Store(store_path)
    assert lines(store.read(), store, NOW) is None


@pytest.mark.parametrize("flag", ["--json", "--jsonl"])
def test_cli_listing_is_the_same_from_both_paths(store_path: Path, flag: str) -> None:
    from typer.testing import CliRunner

    from processes.cli import app

    store = Store(store_path)
    for i in range(5):
        uid = tracker.start(store, f"j{i}", at=1000 + i * 100).record["uid"]
        if i % 2:
            tracker.stop(store, uid, at=1050 + i * 100)
    env = {"PROC_STORE": str(store_path)}
    runner = CliRunner()
    full = runner.invoke(app, ["ls", flag], env=env)  # the fast path
    filtered = runner.invoke(app, ["ls", flag, "--since", "@0"], env=env)  # the general one
    assert full.exit_code == filtered.exit_code == 0
    assert full.stdout.startswith("[\n{" if flag == "--json" else "{")

    def parse(text: str) -> list[Any]:
        if flag == "--json":
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines()]

    a, b = parse(full.stdout), parse(filtered.stdout)
    for rec in a + b:  # the clock moves between the two runs
        if rec["state"] != "stopped":
            rec.pop("duration_s")
            rec.pop("active_s")
    assert a == b


def test_an_old_leftover_cache_temp_file_is_removed_by_the_next_change(store_path: Path) -> None:
    store = Store(store_path)
    tracker.start(store, "a")
    old = store_path.parent / f".{store_path.name}.ls.4242.0badcafe.tmp"
    new = store_path.parent / f".{store_path.name}.ls.4243.0badcafe.tmp"
    old.write_bytes(b"partial")
    new.write_bytes(b"being written")
    os.utime(old, (0, 0))
    tracker.start(store, "b")
    assert not old.exists()
    assert new.exists()  # a listing may still be writing it


def test_new_entries_are_appended_and_the_cache_compacted(store_path: Path) -> None:
    store = Store(store_path)
    cache = Path(cache_path(store))
    for i in range(MAX_CHUNKS + 3):
        uid = tracker.start(store, f"j{i}", at=100 + 10 * i, now=NOW).record["uid"]
        tracker.stop(store, uid, at=105 + 10 * i, now=NOW)
        assert fast(store) == general(store)
        entries, chunks, damaged = _load(str(cache))
        assert not damaged
        assert len(entries) == i + 1
        assert 1 <= chunks <= MAX_CHUNKS
    # A torn append (a listing killed mid-write) is noticed and repaired.
    with open(cache, "ab") as fh:
        fh.write(b"0badcafe 999\npartial")
    assert _load(str(cache))[2] is True
    assert fast(store) == general(store)
    entries, chunks, damaged = _load(str(cache))
    assert not damaged and chunks == 1 and len(entries) == MAX_CHUNKS + 3
