"""Process UIDs: ``"{layer}-{hex}"``, unique among live processes and within a store.

The hex part has at least four digits and grows by one digit when a draw misses
``uid.ATTEMPTS_PER_WIDTH`` times in a row, i.e. when a layer's space is crowded.
"""

from __future__ import annotations

import gc
import json
import re
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from processes import Process, Store, TimeStamp, uid
from processes import model as model_module

UID_RE = re.compile(r"^\d+-[0-9a-f]{4,}$")


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


# -- draw_uid ----------------------------------------------------------------------------------


def test_draw_uid_format_and_first_width() -> None:
    seen = set()
    for layer in (0, 1, 7, 12, 345):
        for _ in range(200):
            u = uid.draw_uid(layer, lambda _u: False)
            assert re.fullmatch(rf"{layer}-[0-9a-f]{{{uid.MIN_WIDTH}}}", u), u
            seen.add(u.split("-")[1])
    # The hex digits are random: many distinct values, every digit in use.
    assert len(seen) > 900
    assert set("".join(seen)) == set("0123456789abcdef")


def test_draw_uid_grows_after_attempts_per_width_misses() -> None:
    calls: list[str] = []

    def taken(u: str) -> bool:
        calls.append(u)
        return len(u.split("-")[1]) < 7  # every UID of 4, 5 or 6 digits is taken

    got = uid.draw_uid(3, taken)
    assert re.fullmatch(r"3-[0-9a-f]{7}", got)
    widths = [len(c.split("-")[1]) for c in calls]
    per = uid.ATTEMPTS_PER_WIDTH
    assert widths == [4] * per + [5] * per + [6] * per + [7]


def test_draw_uid_retries_within_a_width_before_growing() -> None:
    misses = iter([True] * (uid.ATTEMPTS_PER_WIDTH - 1))

    def taken(_u: str) -> bool:
        return next(misses, False)

    got = uid.draw_uid(0, taken)
    assert len(got.split("-")[1]) == uid.MIN_WIDTH


def test_draw_uid_rejects_a_negative_layer() -> None:
    with pytest.raises(ValueError):
        uid.draw_uid(-1, lambda _u: False)


# -- many live processes -----------------------------------------------------------------------


def test_fifty_thousand_live_processes_on_one_layer_have_distinct_uids() -> None:
    layer = 9
    count = 50_000
    procs = [Process(f"p{i}", layer, i, -1) for i in range(count)]
    uids = [p.uid for p in procs]
    assert len(set(uids)) == count

    for u in uids:
        assert UID_RE.match(u), u
    assert all(Process.get_layer_from_uid(u) == layer for u in uids)
    assert {p.layer for p in procs} == {layer}

    widths = Counter(len(u.split("-")[1]) for u in uids)
    # 50,000 of 65,536 four-digit UIDs: the space got crowded and some grew a digit,
    # but short UIDs remain the rule, and nothing grew further than needed.
    assert widths[5] > 0
    assert widths[4] > 45_000
    assert set(widths) == {4, 5}
    # While the layer was nearly empty, no UID grew.
    assert all(len(u) == len(f"{layer}-abcd") for u in uids[:1000])

    # Another layer is a separate space.
    other = Process("other", layer + 1, 0, -1)
    assert len(other.uid.split("-")[1]) == 4

    # A UID is held only while its process lives: once they are gone, the
    # layer's four-digit space is free again.
    del procs
    gc.collect()
    again = [Process("again", layer, 0, -1) for _ in range(1000)]
    assert all(len(p.uid.split("-")[1]) == 4 for p in again)


@pytest.fixture
def scripted_random(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Feed ``uid.draw_uid`` chosen random bytes (then real ones)."""
    import os

    queue: list[bytes] = []

    def urandom(n: int) -> bytes:
        if queue:
            value = queue.pop(0)
            assert len(value) == n
            return value
        return os.urandom(n)

    monkeypatch.setattr(uid, "os", types.SimpleNamespace(urandom=urandom))
    yield queue


def test_a_new_process_never_draws_a_live_uid(scripted_random: list[bytes]) -> None:
    scripted_random.append(b"\xab\xcd")
    first = Process("first", 3, 0, -1)
    assert first.uid == "3-abcd"
    scripted_random.extend([b"\xab\xcd", b"\xab\xcd", b"\x12\x34"])
    second = Process("second", 3, 0, -1)
    assert second.uid == "3-1234"
    # A UID held by a loaded copy is live too.
    copy = Process.load_dict(
        {"name": "c", "uid": "3-5678", "timeline": {"initialized": 0, "terminated": 1}}
    )
    scripted_random.extend([b"\x56\x78", b"\x9a\xbc"])
    third = Process("third", 3, 0, -1)
    assert third.uid == "3-9abc"
    # The same hex on another layer is another UID.
    scripted_random.append(b"\xab\xcd")
    assert Process("x", 4, 0, -1).uid == "4-abcd"
    # Once a process is gone its UID may be drawn again.
    del first
    gc.collect()
    scripted_random.append(b"\xab\xcd")
    assert Process("fourth", 3, 0, -1).uid == "3-abcd"
    assert copy.uid == "3-5678"


def test_a_crowded_four_digit_space_yields_a_five_digit_uid(
    scripted_random: list[bytes],
) -> None:
    holder = Process("holder", 6, 0, -1)
    hexpart = holder.uid.split("-")[1]
    raw = bytes.fromhex(hexpart)
    scripted_random.extend([raw] * uid.ATTEMPTS_PER_WIDTH + [b"\x01\x23\x45"])
    grown = Process("grown", 6, 0, -1)
    assert grown.uid == "6-01234"
    assert Process.get_layer_from_uid(grown.uid) == 6
    assert UID_RE.match(grown.uid)


# -- UIDs in a store ---------------------------------------------------------------------------


def test_a_new_process_never_overwrites_another_record(store_path: Path) -> None:
    other = Process("Other", 2, 10, 20)
    other.add_disruption("pause", TimeStamp(12, 13))
    other.write(store_path)

    new = Process("New", 2, 30, -1)
    old_uid = new.uid
    # Make the other record sit under the new process's UID.
    doc = _read(store_path)
    rec = doc["processes"].pop(other.uid)
    rec["uid"] = old_uid
    doc["processes"][old_uid] = rec
    _write(store_path, doc)

    new.write(store_path)
    assert new.uid != old_uid
    assert UID_RE.match(new.uid)
    assert Process.get_layer_from_uid(new.uid) == 2
    after = _read(store_path)["processes"]
    assert after[old_uid] == rec  # untouched
    assert after[new.uid] == new.to_hierarchical_dict()
    assert after[new.uid]["name"] == "New"
    assert set(after) == {old_uid, new.uid}

    # From now on it is at home under its new UID: writing again updates in place.
    new.add_disruption("pause", TimeStamp(31, -1))
    new.write(store_path)
    again = _read(store_path)["processes"]
    assert set(again) == {old_uid, new.uid}
    assert again[new.uid] == new.to_hierarchical_dict()
    assert again[old_uid] == rec


def test_store_all_never_overwrites_another_record(store_path: Path) -> None:
    gc.collect()  # storeAll takes every instance not yet collected, even another test's
    new = Process("New", 4, 5, 6)
    foreign = {"name": "Foreign", "uid": new.uid, "timeline": {"initialized": 1, "terminated": 2}}
    _write(store_path, {"processes": {new.uid: foreign}})
    old_uid = new.uid
    Process.storeAll(store_path)
    after = _read(store_path)["processes"]
    assert new.uid != old_uid
    assert after[old_uid] == foreign
    assert after[new.uid] == new.to_hierarchical_dict()


def test_a_loaded_copy_keeps_its_uid_and_updates_in_place(store_path: Path) -> None:
    original = Process("Training", 1, 100, -1)
    original.write(store_path)
    Process("Neighbour", 1, 50, 60).write(store_path)

    copy = Process.load(original.uid, store_path)
    assert copy is not None
    assert copy is not original
    assert copy.uid == original.uid  # shared while both live
    copy.add_disruption("pause", TimeStamp(150, 160))
    copy.ts["terminated"] = 200
    copy.write(store_path)
    assert copy.uid == original.uid

    after = _read(store_path)["processes"]
    assert len(after) == 2
    assert after[original.uid] == copy.to_hierarchical_dict()
    assert after[original.uid]["timeline"]["terminated"] == 200

    # Every copy from loadAll writes back in place too.
    for proc in Process.loadAll(store_path):
        proc.write(store_path)
    assert _read(store_path)["processes"] == after


def test_a_load_dict_copy_of_the_stored_record_updates_in_place(store_path: Path) -> None:
    original = Process("Training", 1, 100, -1)
    original.write(store_path)
    rec = _read(store_path)["processes"][original.uid]
    del original
    gc.collect()

    copy = Process.load_dict(rec)
    copy.ts["terminated"] = 300
    copy.write(store_path)
    assert copy.uid == rec["uid"]
    after = _read(store_path)["processes"]
    assert list(after) == [rec["uid"]]
    assert after[rec["uid"]]["timeline"]["terminated"] == 300


def test_a_record_of_another_process_is_not_taken_over_by_load_dict(store_path: Path) -> None:
    stored = {"name": "Stored", "uid": "5-abcd", "timeline": {"initialized": 10, "terminated": 20}}
    _write(store_path, {"processes": {"5-abcd": stored}})
    stranger = Process.load_dict(
        {"name": "Stranger", "uid": "5-abcd", "timeline": {"initialized": 99, "terminated": -1}}
    )
    stranger.write(store_path)
    assert stranger.uid != "5-abcd"
    assert Process.get_layer_from_uid(stranger.uid) == 5
    after = _read(store_path)["processes"]
    assert after["5-abcd"] == stored
    assert after[stranger.uid]["name"] == "Stranger"


def test_a_uid_drawn_on_collision_avoids_every_stored_uid(
    store_path: Path, scripted_random: list[bytes]
) -> None:
    # The store holds 8-0001 .. 8-0003; the new process is (made to be) 8-0001.
    recs = {
        f"8-000{i}": {
            "name": f"r{i}",
            "uid": f"8-000{i}",
            "timeline": {"initialized": i, "terminated": i},
        }
        for i in (1, 2, 3)
    }
    _write(store_path, {"processes": recs})
    scripted_random.append(b"\x00\x01")
    new = Process("New", 8, 0, -1)
    assert new.uid == "8-0001"
    scripted_random.extend([b"\x00\x02", b"\x00\x03", b"\x00\x01", b"\x00\x04"])
    new.write(store_path)
    assert new.uid == "8-0004"
    after = Store(store_path).read().processes
    assert {k: after[k] for k in recs} == recs
    assert after["8-0004"]["name"] == "New"


def test_live_uid_bookkeeping_follows_uid_changes(store_path: Path) -> None:
    p = Process("p", 0, 0, -1)
    first = p.uid
    assert first in model_module._live_uids
    _write(
        store_path,
        {
            "processes": {
                first: {"name": "x", "uid": first, "timeline": {"initialized": 0, "terminated": 0}}
            }
        },
    )
    p.write(store_path)
    assert p.uid != first
    assert p.uid in model_module._live_uids
    assert first not in model_module._live_uids
    second = p.uid
    del p
    gc.collect()
    assert second not in model_module._live_uids
