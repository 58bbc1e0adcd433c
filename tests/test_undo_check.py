"""``proc undo`` and ``proc check``, end to end through the installed ``proc``.

Undo: one level, back to the bytes before the last change; ``<store>.prev`` is a
hard link of the previous file; a second undo does not redo; undo says what it
undid; undo never writes over a store it cannot read.

Check: every fault with its JSON path (duplicate keys included, which a plain
JSON parser hides), ``PATH: problem`` lines or a ``--json`` array; exit 0 when
clean, 3 otherwise; it never writes or creates anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import UID_LINE, ok, proc


def start(name: str, env: dict[str, str], *extra: str) -> str:
    res = ok(proc("start", name, *extra, env=env))
    assert UID_LINE.match(res.stdout), repr(res.stdout)
    return res.stdout.strip()


def ls_json(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``proc ls --json`` by UID, without the fields that change with the clock."""
    out = {}
    for r in json.loads(ok(proc("ls", "--json", env=env)).stdout):
        out[r.pop("uid")] = {k: v for k, v in r.items() if k not in ("duration_s", "active_s")}
    return out


def prev_of(store: Path) -> Path:
    return Path(str(store) + ".prev")


def snapshot(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every entry of a directory: its bytes (files), mtime (ns) and inode."""
    out = {}
    for name in sorted(os.listdir(directory)):
        path = directory / name
        st = path.lstat()
        data = path.read_bytes() if path.is_file() else b""
        out[name] = (data, st.st_mtime_ns, st.st_ino)
    return out


# -- undo ----------------------------------------------------------------------------------


def _stop(env: dict[str, str], uids: list[str]) -> list[str]:
    ok(proc("stop", uids[0], "--at", "@2000", env=env))
    return [uids[0]]


def _rm_all(env: dict[str, str], uids: list[str]) -> list[str]:
    ok(proc("rm", "--all", "--yes", env=env))
    return uids


def _link(env: dict[str, str], uids: list[str]) -> list[str]:
    ok(proc("link", "alpha", "beta", env=env))
    return []


def _start(env: dict[str, str], uids: list[str]) -> list[str]:
    return [start("gamma", env, "--at", "@1500")]


def _pause(env: dict[str, str], uids: list[str]) -> list[str]:
    ok(proc("pause", uids[1], "-t", "call", "--at", "@1600", env=env))
    return [uids[1]]


# change -> (what undo's message must say besides the UIDs the change returns)
CHANGES: dict[str, tuple[Callable[[dict[str, str], list[str]], list[str]], str]] = {
    "stop": (_stop, "restored the changed"),
    "rm --all --yes": (_rm_all, "restored the removed"),
    "link": (_link, "restored the mindmap"),
    "start": (_start, "removed the added"),
    "pause": (_pause, "restored the changed"),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=str)
def test_undo_restores_the_bytes_before_the_last_change(
    change: str, env: dict[str, str], store_path: Path
) -> None:
    uids = [start("alpha", env, "--at", "@1000"), start("beta", env, "--at", "@1001")]
    ok(proc("link", "beta", "alpha", env=env))
    before = store_path.read_bytes()
    before_ino = store_path.stat().st_ino
    before_listing = ls_json(env)

    do, says = CHANGES[change]
    named = do(env, uids)
    changed = store_path.read_bytes()
    assert changed != before
    # <store>.prev is a hard link of the file as it was before the change.
    prev = prev_of(store_path)
    assert prev.stat().st_ino == before_ino
    assert prev.read_bytes() == before
    assert store_path.stat().st_ino != before_ino  # the change replaced the file

    res = ok(proc("undo", env=env))
    assert res.stdout == ""
    assert says in res.stderr, res.stderr
    for uid in named:
        assert uid in res.stderr, res.stderr  # it says what it undid, by UID
    assert store_path.read_bytes() == before
    assert ls_json(env) == before_listing
    assert not prev.exists()

    # A second undo does not redo: nothing to undo, store unchanged.
    res = proc("undo", env=env)
    assert res.returncode == 1, res.stderr
    assert "nothing to undo" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    assert store_path.read_bytes() == before


def test_undo_of_rm_all_brings_back_every_record(env: dict[str, str], store_path: Path) -> None:
    uids = [start(f"job{i}", env, "--at", f"@{1000 + i}") for i in range(12)]
    ok(proc("stop", uids[3], "--at", "@2000", env=env))
    before = ls_json(env)
    ok(proc("rm", "--all", "--yes", env=env))
    assert ls_json(env) == {}
    res = ok(proc("undo", env=env))
    assert ls_json(env) == before
    # Twelve UIDs: the message names the first ten and counts the rest.
    assert "and 2 more" in res.stderr
    assert sum(uid in res.stderr for uid in uids) == 10


def test_undo_is_one_level_and_works_again_after_a_new_change(
    env: dict[str, str], store_path: Path
) -> None:
    a = start("a", env, "--at", "@1000")
    after_a = store_path.read_bytes()
    b = start("b", env, "--at", "@1001")
    after_b = store_path.read_bytes()
    ok(proc("stop", a, "--at", "@1500", env=env))
    ok(proc("undo", env=env))
    assert store_path.read_bytes() == after_b  # one level only: b is still there
    assert proc("undo", env=env).returncode == 1
    assert store_path.read_bytes() == after_b
    # A new change can be undone again.
    ok(proc("stop", b, "--at", "@1600", env=env))
    res = ok(proc("undo", env=env))
    assert b in res.stderr
    assert store_path.read_bytes() == after_b
    assert after_a != after_b


def test_undo_with_no_history_creates_no_store(env: dict[str, str], store_path: Path) -> None:
    res = proc("undo", env=env)
    assert res.returncode == 1
    assert "nothing to undo" in res.stderr
    assert "Traceback" not in res.stderr
    assert not store_path.exists()


def test_undo_never_writes_over_an_unreadable_store(env: dict[str, str], store_path: Path) -> None:
    start("a", env, "--at", "@1000")
    start("b", env, "--at", "@1001")
    prev = prev_of(store_path)
    prev_bytes = prev.read_bytes()
    broken = b'{"processes": {"0-aaaa": '
    store_path.write_bytes(broken)  # e.g. a bad hand edit
    res = proc("undo", env=env)
    assert res.returncode == 3, res.stderr
    assert str(store_path) in res.stderr
    assert "malformed JSON" in res.stderr
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == broken
    assert prev.read_bytes() == prev_bytes  # the history is kept too


def test_undo_never_restores_an_invalid_previous_file(
    env: dict[str, str], store_path: Path
) -> None:
    start("a", env, "--at", "@1000")
    start("b", env, "--at", "@1001")
    current = store_path.read_bytes()
    prev = prev_of(store_path)
    prev.unlink()
    prev.write_bytes(b"")  # not a hard link any more, and empty
    res = proc("undo", env=env)
    assert res.returncode == 3, res.stderr
    assert "empty file" in res.stderr
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == current


# -- check ---------------------------------------------------------------------------------


def rec(uid: str, name: Any = "job", **tl: Any) -> dict[str, Any]:
    timeline = {"initialized": 1000, "terminated": 2000, "disruptions": []}
    timeline.update(tl)
    return {"name": name, "uid": uid, "timeline": timeline}


def write_json(path: Path, doc: Any) -> bytes:
    data = json.dumps(doc, indent=2).encode("utf-8")
    path.write_bytes(data)
    return data


def check_json(env: dict[str, str]) -> tuple[int, list[dict[str, str]], str]:
    res = proc("check", "--json", env=env)
    assert "Traceback" not in res.stderr, res.stderr
    found = json.loads(res.stdout)
    assert isinstance(found, list)
    for item in found:
        assert set(item) == {"path", "problem"}
    return res.returncode, found, res.stderr


def check_lines(env: dict[str, str]) -> tuple[int, list[tuple[str, str]], str]:
    res = proc("check", env=env)
    assert "Traceback" not in res.stderr, res.stderr
    pairs = []
    for line in res.stdout.splitlines():
        path, sep, problem = line.partition(": ")
        assert sep and path.startswith("$"), line
        pairs.append((path, problem))
    return res.returncode, pairs, res.stderr


def test_check_a_clean_store_exits_0(env: dict[str, str], store_path: Path) -> None:
    a = start("a", env, "--at", "@1000")
    ok(proc("pause", a, "--at", "@1100", env=env))
    ok(proc("pause", a, "-t", "call", "--at", "@1150", env=env))
    ok(proc("link", "a", "b", "--both", env=env))
    res = ok(proc("check", env=env))
    assert res.stdout == ""
    assert f"store {store_path} is valid" in res.stderr
    assert ok(proc("-q", "check", env=env)).stderr == ""
    code, found, _ = check_json(env)
    assert (code, found) == (0, [])


def test_check_an_absent_store_is_clean_and_creates_nothing(
    env: dict[str, str], store_path: Path
) -> None:
    listing = sorted(os.listdir(store_path.parent))
    res = ok(proc("check", env=env))
    assert res.stdout == ""
    assert sorted(os.listdir(store_path.parent)) == listing
    assert not store_path.exists()
    # Not even the directory of a store that does not exist yet.
    missing = store_path.parent / "missing" / "processes.json"
    res = ok(proc("check", env=dict(env, PROC_STORE=str(missing))))
    assert res.stdout == ""
    assert not missing.parent.exists()


def test_check_finds_duplicate_uid_keys_that_loading_hides(
    env: dict[str, str], store_path: Path
) -> None:
    one = json.dumps(rec("0-aaaa"))
    store_path.write_text(
        '{"processes": {"0-aaaa": ' + one + ', "0-aaaa": ' + one + "}}", encoding="utf-8"
    )
    # A plain JSON parser keeps the last record and sees a valid store ...
    listing = ls_json(env)
    assert list(listing) == ["0-aaaa"]
    # ... check reports the hidden one, with its path.
    code, pairs, stderr = check_lines(env)
    assert code == 3
    assert pairs == [('$.processes["0-aaaa"]', "duplicate key: an earlier value is hidden")]
    assert "1 fault" in stderr
    code, found, _ = check_json(env)
    assert code == 3
    assert found == [
        {"path": '$.processes["0-aaaa"]', "problem": "duplicate key: an earlier value is hidden"}
    ]


MANY_FAULTS = (
    "{\n"
    ' "processes": {\n'
    '  "0-aaaa": ' + json.dumps(rec("0-aaaa")) + ",\n"
    '  "0-aaaa": {"name": "x", "uid": "0-aaaa", "timeline": '
    '{"initialized": 10, "initialized": 11, "terminated": 20}},\n'
    '  "0-bbbb": ' + json.dumps(rec("0-bbbc", name=5, initialized=30, terminated=20)) + ",\n"
    '  "zz": ' + json.dumps(rec("zz")) + ",\n"
    '  "0-cccc": '
    + json.dumps(
        rec(
            "0-cccc",
            initialized=100,
            terminated=200,
            disruptions=[
                {"pause": {"initialized": 150, "terminated": 250}},
                {"call": {"initialized": 110, "terminated": True}},
            ],
        )
    )
    + ",\n"
    '  "0-dddd": '
    + json.dumps(
        rec(
            "0-dddd",
            terminated=-1,
            disruptions=[
                {"pause": {"initialized": 1100, "terminated": -1}},
                {"pause": {"initialized": 1200, "terminated": -1}},
            ],
        )
    )
    + "\n"
    " },\n"
    ' "mindmap": {"a": ["b", 3], "a": [], "c": {}, "d": "e"},\n'
    ' "extra": {"k": 1, "k": 2}\n'
    "}\n"
)
MANY_EXPECTED = [
    ('$.processes["0-aaaa"]', "duplicate key"),
    ('$.processes["0-aaaa"].timeline.initialized', "duplicate key"),
    ("$.mindmap.a", "duplicate key"),
    ("$.extra.k", "duplicate key"),
    ('$.processes["0-bbbb"].uid', "the record's uid '0-bbbc' differs from its key '0-bbbb'"),
    ('$.processes["0-bbbb"].name', "expected a string, found a number"),
    ('$.processes["0-bbbb"].timeline', "ends (20) before it starts (30)"),
    ("$.processes.zz", "key 'zz' is not a process UID"),
    (
        '$.processes["0-cccc"].timeline.disruptions[0].pause',
        "ends (250) after the timeline it interrupts ends (200)",
    ),
    (
        '$.processes["0-cccc"].timeline.disruptions[1].call.terminated',
        "expected an integer count of epoch seconds, found a boolean",
    ),
    (
        '$.processes["0-dddd"].timeline.disruptions[1].pause',
        "a second open disruption at the same level",
    ),
    ("$.mindmap.c", "expected a list of node names, found an object"),
    ("$.mindmap.d", "expected a list of node names, found a string"),
]


def _matches(found: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    assert len(found) == len(expected), "\n".join(f"{p}: {m}" for p, m in found)
    for path, problem in expected:
        hits = [m for p, m in found if p == path and problem in m]
        assert hits, f"missing {path}: {problem}\nfound:\n" + "\n".join(
            f"{p}: {m}" for p, m in found
        )


def test_check_reports_every_fault_with_its_path(env: dict[str, str], store_path: Path) -> None:
    store_path.write_text(MANY_FAULTS, encoding="utf-8")
    code, pairs, stderr = check_lines(env)
    assert code == 3
    _matches(pairs, MANY_EXPECTED)
    assert f"store {store_path}: {len(MANY_EXPECTED)} faults" in stderr
    code, found, _ = check_json(env)
    assert code == 3
    _matches([(f["path"], f["problem"]) for f in found], MANY_EXPECTED)
    # The same faults, in the same order, in both forms.
    assert [(f["path"], f["problem"]) for f in found] == pairs
    # Loading reports the first schema fault and refuses, exit 3.
    res = proc("ls", env=env)
    assert res.returncode == 3
    assert '$.processes["0-bbbb"].uid' in res.stderr


@pytest.mark.parametrize(
    ("content", "path", "problem"),
    [
        (b"", "$", "empty file"),
        (b"\xef\xbb\xbf{}", "$", "byte-order mark"),
        (b'{"processes": {', "$", "malformed JSON"),
        (b'{"processes": {}} trailing', "$", "malformed JSON"),
        (b"[]", "$", "expected an object at the top level, found a list"),
        (b'{"processes": []}', "$.processes", "expected an object keyed by UID, found a list"),
        (b'{"processes": {}, "mindmap": []}', "$.mindmap", "found a list"),
        (b'{"processes": {"0-aaaa": NaN}}', "$", "NaN is not valid JSON"),
    ],
    ids=["empty", "bom", "truncated", "trailing", "top-list", "procs-list", "mm-list", "nan"],
)
def test_check_reports_an_unloadable_file_at_its_place(
    env: dict[str, str], store_path: Path, content: bytes, path: str, problem: str
) -> None:
    store_path.write_bytes(content)
    code, pairs, _ = check_lines(env)
    assert code == 3
    assert len(pairs) == 1
    assert pairs[0][0] == path
    assert problem in pairs[0][1]
    code, found, _ = check_json(env)
    assert code == 3
    assert [(f["path"], f["problem"]) for f in found] == pairs
    assert store_path.read_bytes() == content


def test_check_reads_every_store_that_loads_even_nested_deep(
    env: dict[str, str], store_path: Path
) -> None:
    # Past 256 KiB the store is decoded by orjson, which reads 1024 levels of
    # nesting: deeper than the stdlib parser goes by default. Unknown keys may
    # hold anything, so such a store loads; check must read it too.
    depth = 1020
    deep = "[" * depth + '{"k": 1, "k": 2}' + "]" * depth
    pad = "x" * (300 * 1024)
    content = f'{{"padding": "{pad}", "deep": {deep}, "processes": {{}}}}'.encode()
    store_path.write_bytes(content)
    assert ok(proc("ls", "--json", env=env)).stdout.strip() == "[]"
    code, pairs, stderr = check_lines(env)
    assert code == 3, stderr
    assert pairs == [("$.deep" + "[0]" * depth + ".k", "duplicate key: an earlier value is hidden")]
    # Without the duplicate, the same store is clean.
    store_path.write_bytes(content.replace(b'"k": 1, "k": 2', b'"k": 1'))
    code, pairs, stderr = check_lines(env)
    assert (code, pairs) == (0, []), stderr
    assert store_path.read_bytes() == content.replace(b'"k": 1, "k": 2', b'"k": 1')


STORES: dict[str, bytes] = {
    "clean": json.dumps({"processes": {"0-aaaa": rec("0-aaaa")}}).encode(),
    "duplicate": b'{"processes": {}, "processes": {}}',
    "faulty": MANY_FAULTS.encode(),
    "malformed": b'{"processes": ',
    "empty": b"",
}


@pytest.mark.parametrize("kind", list(STORES), ids=str)
@pytest.mark.parametrize("with_history", [False, True], ids=["fresh", "history"])
def test_check_never_writes(
    env: dict[str, str], store_path: Path, kind: str, with_history: bool
) -> None:
    if with_history:
        start("x", env)  # creates the lock file and a store, then a .prev
        start("y", env)
    store_path.write_bytes(STORES[kind])
    old = 1_000_000_000_000_000_000  # an mtime far in the past, to see any rewrite
    os.utime(store_path, ns=(old, old))
    before = snapshot(store_path.parent)
    res = proc("check", env=env)
    assert res.returncode == (0 if kind == "clean" else 3), res.stderr
    res = proc("check", "--json", env=env)
    assert res.returncode == (0 if kind == "clean" else 3), res.stderr
    # Nothing created, removed, rewritten or touched: not even a lock file.
    assert snapshot(store_path.parent) == before
