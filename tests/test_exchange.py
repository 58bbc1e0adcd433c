"""Tests of ``proc export`` and ``proc import``: moving history between stores.

Export writes ``{"processes": ..., "mindmap": ...}`` from a copy taken under the
lock; import merges seed-format files in one atomic change and never overwrites
(unless ``--replace``). The command line runs in-process (typer's CliRunner) with
``--store``; a few runs use the installed console script; a hypothesis test
round-trips generated stores through the library functions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from processes import codec
from processes.cli import app
from processes.exchange import export_document, import_files
from processes.store import Store

RUNNER = CliRunner()
PROC = Path(sys.executable).with_name("proc")
UID_RE = re.compile(r"(0|[1-9][0-9]*)-[0-9a-f]{4,}")


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PROC_OUTPUT", "FORCE_COLOR", "COLUMNS", "PROC_LOCK_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


# -- helpers ------------------------------------------------------------------------------


def invoke(*args: str, input: str | bytes | None = None) -> Result:
    result = RUNNER.invoke(app, list(args), input=input)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        text = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        pytest.fail(f"proc {' '.join(args)!r} raised {exc!r}\n{text}")
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, input: str | bytes | None = None) -> Result:
    result = invoke(*args, input=input)
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def fails(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("proc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def proc_export(store: Path) -> str:
    return ok("--store", str(store), "export").stdout


def proc_import(store: Path, *files: str | Path, replace: bool = False) -> Result:
    extra = ["--replace"] if replace else []
    return ok("--store", str(store), "import", *extra, *map(str, files))


def tl(start: int, end: int = -1, *dis: dict[str, Any]) -> dict[str, Any]:
    return {"initialized": start, "terminated": end, "disruptions": list(dis)}


def rec(uid: str, name: str, start: int, end: int = -1, *dis: dict, **extra: Any) -> dict:
    return {"name": name, "uid": uid, "timeline": tl(start, end, *dis), **extra}


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=2), encoding="utf-8")
    return path


def doc(*records: dict[str, Any], mindmap: dict[str, list[str]] | None = None) -> dict:
    return {"processes": {r["uid"]: r for r in records}, "mindmap": mindmap or {}}


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_bytes())
    assert isinstance(data, dict)
    return data


def counts(stderr: str) -> tuple[int, int, int]:
    """``(added, skipped, re-keyed)`` from the import's summary on stderr."""
    m = re.search(r"(\d+) added, (\d+) skipped .*?, (\d+) re-keyed", stderr)
    assert m, stderr
    return int(m[1]), int(m[2]), int(m[3])


def rekeys(stderr: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s+(\S+) -> (\S+)$", stderr, flags=re.M)


RICH = {
    "version": 3,  # an unknown top-level key: kept in the store, not exported
    "processes": {
        "0-aaaa": rec(
            "0-aaaa",
            "write",
            1000,
            5000,
            {"pause": tl(1500, 2000, {"meeting": tl(1600, 1700)})},
            tags=["book", 1],  # an unknown record key: exported as it is
        ),
        "1-bbbb": rec("1-bbbb", "read", 6000, -1, {"pause": tl(7000, -1)}),
        "0-cccc": rec("0-cccc", "write", 1000, 5000),  # same content as 0-aaaa minus tags
    },
    "mindmap": {"y": ["z"], "x": ["y"], "z": [], "w": ["ghost"]},
}


@pytest.fixture
def rich_store(tmp_path: Path) -> Path:
    return write_json(tmp_path / "rich.json", RICH)


# -- export --------------------------------------------------------------------------------


def test_export_to_stdout_is_processes_and_mindmap_only(rich_store: Path) -> None:
    result = ok("--store", str(rich_store), "export")
    data = json.loads(result.stdout)
    assert list(data) == ["processes", "mindmap"]
    assert data == {"processes": RICH["processes"], "mindmap": RICH["mindmap"]}
    assert data["processes"]["0-aaaa"]["tags"] == ["book", 1]
    assert "version" not in result.stdout
    assert list(data["processes"]) == list(RICH["processes"])  # the store's order
    assert result.stderr == ""


def test_export_leaves_the_store_alone(rich_store: Path) -> None:
    before = rich_store.read_bytes()
    proc_export(rich_store)
    assert rich_store.read_bytes() == before
    assert not Path(str(rich_store) + ".prev").exists()


def test_export_of_a_store_without_mindmap_or_file(tmp_path: Path) -> None:
    bare = write_json(tmp_path / "bare.json", {"processes": {"0-aaaa": rec("0-aaaa", "a", 1, 2)}})
    assert json.loads(proc_export(bare)) == {
        "processes": {"0-aaaa": rec("0-aaaa", "a", 1, 2)},
        "mindmap": {},
    }
    missing = tmp_path / "missing.json"
    assert json.loads(proc_export(missing)) == {"processes": {}, "mindmap": {}}
    assert not missing.exists()


def test_export_to_a_file_writes_the_same_bytes_atomically(
    rich_store: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "export.json"
    target.write_text("old content that must be replaced entirely\n" * 100)
    stdout_bytes = ok("--store", str(rich_store), "export").stdout_bytes
    result = ok("--store", str(rich_store), "export", "--output", str(target))
    assert result.stdout == ""
    assert "exported 3 processes to" in result.stderr
    assert target.read_bytes() == stdout_bytes
    assert os.listdir(out_dir) == ["export.json"]  # no temp file left behind
    # -o is the short form; "-" means stdout.
    ok("--store", str(rich_store), "export", "-o", str(out_dir / "b.json"))
    assert (out_dir / "b.json").read_bytes() == stdout_bytes
    assert ok("--store", str(rich_store), "export", "-o", "-").stdout_bytes == stdout_bytes


def test_export_quiet_says_nothing(rich_store: Path, tmp_path: Path) -> None:
    result = ok("--store", str(rich_store), "-q", "export", "-o", str(tmp_path / "e.json"))
    assert (result.stdout, result.stderr) == ("", "")


def test_export_into_a_missing_directory_exits_3(rich_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "e.json"
    fails(invoke("--store", str(rich_store), "export", "-o", str(target)), 3)
    assert not target.exists()


def test_an_empty_file_name_never_means_the_default_store(rich_store: Path, tmp_path: Path) -> None:
    # PROC_STORE (set by conftest) is the default store: an empty --output must not
    # write the export over it, and an empty import name must not read it.
    default = write_json(Path(os.environ["PROC_STORE"]), doc(MINE, mindmap={"keep": []}))
    before = default.read_bytes()
    fails(invoke("--store", str(rich_store), "export", "-o", ""), 2, "--output")
    assert default.read_bytes() == before
    other = tmp_path / "other.json"
    fails(invoke("--store", str(other), "import", ""), 2, "empty file name")
    assert not other.exists()
    assert default.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{ not json", id="malformed"),
        pytest.param(b"", id="empty"),
        pytest.param(json.dumps({"processes": {"0-aaaa": {"uid": "0-bbbb"}}}).encode(), id="bad"),
    ],
)
def test_export_of_a_corrupt_store_exits_3(tmp_path: Path, content: bytes) -> None:
    store = tmp_path / "corrupt.json"
    store.write_bytes(content)
    fails(invoke("--store", str(store), "export"), 3, str(store))
    target = tmp_path / "out.json"
    fails(invoke("--store", str(store), "export", "-o", str(target)), 3)
    assert not target.exists()
    assert store.read_bytes() == content


def test_export_waits_for_the_lock_and_sees_the_writers_change(rich_store: Path) -> None:
    """A writer holding the lock finishes first; export shows what it wrote."""
    store = Store(rich_store)
    locked = threading.Event()

    def writer() -> None:
        with store.lock():
            locked.set()
            time.sleep(0.5)
            current = store.decode(store.read_bytes())
            current.put(rec("2-dddd", "late", 10, 20))
            store.write(current)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(5)
        began = time.monotonic()
        data = json.loads(proc_export(rich_store))
        waited = time.monotonic() - began
    finally:
        thread.join()
    assert waited >= 0.3
    assert "2-dddd" in data["processes"]
    assert len(data["processes"]) == 4


# -- round trip ----------------------------------------------------------------------------


def test_round_trip_export_import_export_gives_the_same_bytes(
    rich_store: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    ok("--store", str(rich_store), "export", "-o", str(first))
    empty = tmp_path / "empty.json"
    result = proc_import(empty, first)
    assert counts(result.stderr) == (3, 0, 0)
    second = tmp_path / "second.json"
    ok("--store", str(empty), "export", "-o", str(second))
    assert second.read_bytes() == first.read_bytes()


def test_round_trip_of_a_store_built_with_commands(tmp_path: Path) -> None:
    src = tmp_path / "src.json"
    s = ["--store", str(src), "-q"]
    t0 = 1_700_000_000
    # Two processes with the same name and times (parallel, layer 0): both must survive.
    ok(*s, "start", "job", "--at", f"@{t0}")
    ok(*s, "start", "job", "--at", f"@{t0}")
    uid = ok(*s, "start", "write", "-l", "1", "--at", f"@{t0 + 10}").stdout.strip()
    ok(*s, "pause", uid, "--at", f"@{t0 + 20}")
    ok(*s, "pause", uid, "-t", "call", "--at", f"@{t0 + 30}")
    ok(*s, "resume", uid, "--at", f"@{t0 + 40}")
    ok(*s, "link", "x", "y")
    ok(*s, "link", "y", "z")
    ok(*s, "link", "a", "x", "--both")
    first = proc_export(src)
    assert len(json.loads(first)["processes"]) == 3
    dst = tmp_path / "dst.json"
    exported = write_json(tmp_path / "e.json", json.loads(first))
    assert counts(proc_import(dst, exported).stderr) == (3, 0, 0)
    assert proc_export(dst) == first


def test_importing_the_same_file_twice_adds_nothing(rich_store: Path, tmp_path: Path) -> None:
    exported = tmp_path / "e.json"
    ok("--store", str(rich_store), "export", "-o", str(exported))
    dst = tmp_path / "dst.json"
    proc_import(dst, exported)
    after_first = dst.read_bytes()
    result = proc_import(dst, exported)
    assert counts(result.stderr) == (0, 3, 0)
    assert "0 new mindmap edges" in result.stderr
    assert rekeys(result.stderr) == []
    assert load(dst)["processes"] == json.loads(after_first)["processes"]
    assert dst.read_bytes() == after_first


def test_importing_into_the_store_it_came_from_adds_nothing(rich_store: Path) -> None:
    before = rich_store.read_bytes()
    exported = rich_store.with_name("e.json")
    ok("--store", str(rich_store), "export", "-o", str(exported))
    assert counts(proc_import(rich_store, exported).stderr) == (0, 3, 0)
    assert rich_store.read_bytes() == before  # "version" and all


# -- conflicts -----------------------------------------------------------------------------

MINE = rec("1-abcd", "mine", 100, 200)
THEIRS = rec("1-abcd", "theirs", 300, 400, {"pause": tl(310, 320)}, source="laptop")


def test_a_taken_uid_is_rekeyed_and_the_original_stays(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE))
    incoming = write_json(tmp_path / "in.json", doc(THEIRS))
    result = proc_import(store, incoming)
    assert counts(result.stderr) == (0, 0, 1)
    [(old, new)] = rekeys(result.stderr)
    assert old == "1-abcd" and new != old
    assert UID_RE.fullmatch(new) and new.startswith("1-")  # the same layer
    procs = load(store)["processes"]
    assert procs["1-abcd"] == MINE
    assert procs[new] == dict(THEIRS, uid=new)
    assert list(procs) == ["1-abcd", new]
    # Again: the record is already there under its new UID.
    before = store.read_bytes()
    again = proc_import(store, incoming)
    assert counts(again.stderr) == (0, 1, 0)
    assert rekeys(again.stderr) == []
    assert store.read_bytes() == before


def test_a_uid_taken_twice_in_one_import_is_rekeyed_once_per_record(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE))
    a = write_json(tmp_path / "a.json", doc(THEIRS))
    other = rec("1-abcd", "other", 500, 600)
    b = write_json(tmp_path / "b.json", doc(other))
    result = proc_import(store, a, b)
    assert counts(result.stderr) == (0, 0, 2)
    news = [new for _, new in rekeys(result.stderr)]
    procs = load(store)["processes"]
    assert len(procs) == 3 and len(set(news)) == 2
    assert procs["1-abcd"] == MINE
    assert sorted(procs[n]["name"] for n in news) == ["other", "theirs"]


def test_replace_overwrites_a_taken_uid(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE, rec("0-ffff", "keep", 1, 2)))
    incoming = write_json(tmp_path / "in.json", doc(THEIRS))
    result = proc_import(store, incoming, replace=True)
    assert "1 replaced" in result.stderr
    assert counts(result.stderr) == (0, 0, 0)
    procs = load(store)["processes"]
    assert procs == {"1-abcd": THEIRS, "0-ffff": rec("0-ffff", "keep", 1, 2)}
    # Replacing with the same record again is a skip.
    assert counts(proc_import(store, incoming, replace=True).stderr) == (0, 1, 0)


def test_records_with_the_same_content_under_different_uids_are_all_added(
    tmp_path: Path,
) -> None:
    # Two parallel runs of one job, started and stopped at the same seconds, are
    # two processes: a record whose UID is absent is added.
    twins = doc(rec("0-0001", "job", 10, 20), rec("0-0002", "job", 10, 20))
    incoming = write_json(tmp_path / "in.json", twins)
    store = tmp_path / "s.json"
    assert counts(proc_import(store, incoming).stderr) == (2, 0, 0)
    assert load(store)["processes"] == twins["processes"]
    # And one more twin on top of those.
    third = write_json(tmp_path / "third.json", doc(rec("0-0003", "job", 10, 20)))
    assert counts(proc_import(store, third).stderr) == (1, 0, 0)
    assert len(load(store)["processes"]) == 3


# -- mindmap -------------------------------------------------------------------------------


def test_mindmap_edges_are_merged_without_duplicates(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(mindmap={"a": ["b"], "b": []}))
    incoming = write_json(tmp_path / "in.json", doc(mindmap={"a": ["b", "c"], "c": ["a"], "d": []}))
    result = proc_import(store, incoming)
    assert "2 new mindmap edges" in result.stderr
    mm = load(store)["mindmap"]
    assert mm == {"a": ["b", "c"], "b": [], "c": ["a"], "d": []}
    before = store.read_bytes()
    assert "0 new mindmap edges" in proc_import(store, incoming).stderr
    assert store.read_bytes() == before


def test_a_mindmap_only_file_changes_only_the_mindmap(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE, mindmap={"x": []}))
    incoming = write_json(tmp_path / "in.json", {"mindmap": {"x": ["y"], "y": []}})
    assert counts(proc_import(store, incoming).stderr) == (0, 0, 0)
    data = load(store)
    assert data == {"processes": {"1-abcd": MINE}, "mindmap": {"x": ["y"], "y": []}}


# -- several files, atomicity, validation --------------------------------------------------


def test_several_files_in_one_import_are_one_change(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE))
    original = store.read_bytes()
    a = write_json(tmp_path / "a.json", doc(rec("0-aaaa", "a", 1, 2), mindmap={"a": ["b"]}))
    b = write_json(tmp_path / "b.json", doc(rec("0-bbbb", "b", 3, 4), MINE))
    result = proc_import(store, a, b)
    assert counts(result.stderr) == (2, 1, 0)
    assert "1 new mindmap edge" in result.stderr
    data = load(store)
    assert set(data["processes"]) == {"1-abcd", "0-aaaa", "0-bbbb"}
    assert data["mindmap"]["a"] == ["b"]
    # One change: one undo restores the store as it was before the import.
    ok("--store", str(store), "undo")
    assert store.read_bytes() == original


BAD_FILES = {
    "malformed-json": b'{"processes": {',
    "uid-differs-from-key": json.dumps(doc(rec("0-aaaa", "a", 1, 2)))
    .replace('"uid": "0-aaaa"', '"uid": "0-bbbb"')
    .encode(),
    "float-time": json.dumps(doc(rec("0-aaaa", "a", 1, 2))).replace("1,", "1.5,").encode(),
    "not-an-object": b"[1, 2]",
}


@pytest.mark.parametrize("position", ["first", "second"])
@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_an_invalid_file_aborts_the_whole_import(tmp_path: Path, bad: str, position: str) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE, mindmap={"m": []}))
    before = store.read_bytes()
    good = write_json(tmp_path / "good.json", doc(rec("0-9999", "new", 5, 6), mindmap={"m": ["n"]}))
    broken = tmp_path / "broken.json"
    broken.write_bytes(BAD_FILES[bad])
    files = [good, broken] if position == "second" else [broken, good]
    fails(invoke("--store", str(store), "import", *map(str, files)), 3, str(broken))
    assert store.read_bytes() == before
    assert not Path(str(store) + ".prev").exists()


def test_the_bad_files_really_are_what_they_claim() -> None:
    uid_bad = json.loads(BAD_FILES["uid-differs-from-key"])
    assert uid_bad["processes"]["0-aaaa"]["uid"] == "0-bbbb"
    float_bad = json.loads(BAD_FILES["float-time"])
    assert float_bad["processes"]["0-aaaa"]["timeline"]["initialized"] == 1.5


def test_an_invalid_file_into_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    store = tmp_path / "s.json"
    broken = tmp_path / "broken.json"
    broken.write_bytes(BAD_FILES["float-time"])
    fails(invoke("--store", str(store), "import", str(broken)), 3, "initialized")
    assert not store.exists()


def test_a_missing_file_exits_3_naming_it(tmp_path: Path) -> None:
    store = write_json(tmp_path / "s.json", doc(MINE))
    before = store.read_bytes()
    good = write_json(tmp_path / "good.json", doc(rec("0-9999", "new", 5, 6)))
    missing = tmp_path / "nowhere" / "missing.json"
    fails(invoke("--store", str(store), "import", str(good), str(missing)), 3, str(missing))
    assert store.read_bytes() == before


def test_import_reads_stdin_for_dash(rich_store: Path, tmp_path: Path) -> None:
    exported = proc_export(rich_store)
    dst = tmp_path / "dst.json"
    result = ok("--store", str(dst), "import", "-", input=exported)
    assert counts(result.stderr) == (3, 0, 0)
    assert proc_export(dst) == exported


def test_import_of_invalid_stdin_exits_3(tmp_path: Path) -> None:
    dst = tmp_path / "dst.json"
    fails(invoke("--store", str(dst), "import", "-", input="nope"), 3)
    assert not dst.exists()


def test_import_without_files_exits_2(tmp_path: Path) -> None:
    result = invoke("--store", str(tmp_path / "s.json"), "import")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "FILE" in result.stderr
    assert not (tmp_path / "s.json").exists()


def test_import_quiet_prints_nothing(tmp_path: Path) -> None:
    incoming = write_json(tmp_path / "in.json", doc(rec("0-aaaa", "a", 1, 2)))
    result = ok("--store", str(tmp_path / "s.json"), "-q", "import", str(incoming))
    assert (result.stdout, result.stderr) == ("", "")


# -- the installed command -----------------------------------------------------------------


def run_proc(*args: str, env: dict[str, str], stdin: bytes | None = None) -> Any:
    return subprocess.run([str(PROC), *args], env=env, input=stdin, capture_output=True, timeout=60)


def test_installed_command_round_trip_through_a_pipe(
    rich_store: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    exported = run_proc("--store", str(rich_store), "export", env=env)
    assert exported.returncode == 0, exported.stderr
    dst = tmp_path / "dst.json"
    imported = run_proc("--store", str(dst), "import", "-", env=env, stdin=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    assert counts(imported.stderr.decode()) == (3, 0, 0)
    again = run_proc("--store", str(dst), "export", env=env)
    assert again.stdout == exported.stdout


# -- hypothesis: round trip of generated stores ---------------------------------------------

KINDS = st.sampled_from(["pause", "meeting", "lunch", "call"])
NAMES = st.text(max_size=6)
NODES = st.text(alphabet="abcdé", min_size=1, max_size=2)


@st.composite
def timelines(draw: Any, lo: int, hi: int, may_open: bool, depth: int = 0) -> dict[str, Any]:
    start = draw(st.integers(lo, hi))
    end = -1 if may_open and draw(st.booleans()) else draw(st.integers(start, hi))
    inner_hi = hi if end == -1 else end
    children = []
    opened = False
    for _ in range(draw(st.integers(0, 2 if depth < 3 else 0))):
        child = draw(timelines(start, inner_hi, end == -1 and not opened, depth + 1))
        opened = opened or child["terminated"] == -1
        children.append({draw(KINDS): child})
    return {"initialized": start, "terminated": end, "disruptions": children}


@st.composite
def records(draw: Any) -> dict[str, Any]:
    hexes = st.sampled_from(["0000", "0001", "abcd"]) | st.text("0123456789abcdef", min_size=4)
    uid = f"{draw(st.integers(0, 2))}-{draw(hexes)}"
    out: dict[str, Any] = {
        "name": draw(st.sampled_from(["a", "b"]) | NAMES),
        "uid": uid,
        "timeline": draw(timelines(0, 50, True)),
    }
    if draw(st.booleans()):
        out["extra"] = draw(st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2))
    return out


stores = st.builds(
    lambda recs, mm: {"processes": {r["uid"]: r for r in recs}, "mindmap": mm},
    st.lists(records(), max_size=6),
    st.dictionaries(NODES, st.lists(NODES, unique=True, max_size=3), max_size=4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=stores)
def test_generated_stores_round_trip_through_export_and_import(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.json"
        src.write_bytes(codec.dumps(dict(data, extra_top_level=True)))
        exported = export_document(Store(src))
        assert exported == data
        blob = codec.dumps(exported)
        file = Path(tmp) / "e.json"
        file.write_bytes(blob)
        dst = Store(Path(tmp) / "dst.json")
        first = import_files(dst, [str(file)])
        assert (first.added, first.skipped, first.rekeyed) == (len(data["processes"]), 0, [])
        assert codec.dumps(export_document(dst)) == blob
        second = import_files(dst, [str(file)])
        assert (second.added, second.rekeyed) == (0, [])
        assert second.skipped == len(data["processes"])
        assert second.edges == 0
        assert codec.dumps(export_document(dst)) == blob


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mine=stores, theirs=stores)
def test_generated_imports_never_overwrite_and_lose_nothing(
    mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s.json")
        Path(store.path).write_bytes(codec.dumps(mine))
        file = Path(tmp) / "in.json"
        file.write_bytes(codec.dumps(theirs))
        result = import_files(store, [str(file)])
        after = export_document(store)
    procs = after["processes"]
    incoming = theirs["processes"]
    # Nothing stored before is changed or lost.
    for uid, r in mine["processes"].items():
        assert procs[uid] == r
    # Every incoming record is there: as it is, or under a new UID on its layer.
    new_uids = dict(result.rekeyed)
    for uid, r in incoming.items():
        if uid in new_uids:
            new = new_uids[uid]
            assert new not in mine["processes"] and new.split("-")[0] == uid.split("-")[0]
            assert procs[new] == dict(r, uid=new)
        elif uid not in mine["processes"]:
            assert procs[uid] == r  # an absent UID is added as it is
        else:
            assert any(
                x == dict(r, uid=x["uid"]) and x["uid"].split("-")[0] == uid.split("-")[0]
                for x in procs.values()
            )
    assert result.added + result.skipped + len(result.rekeyed) == len(incoming)
    assert len(procs) == len(mine["processes"]) + result.added + len(result.rekeyed)
    # The mindmap is the union; edges already there keep their order.
    mm = after["mindmap"]
    assert set(mm) == set(mine["mindmap"]) | set(theirs["mindmap"])
    for node in mm:
        old = mine["mindmap"].get(node, [])
        assert mm[node][: len(old)] == old
        assert set(mm[node]) == set(old) | set(theirs["mindmap"].get(node, []))
        assert len(mm[node]) == len(set(mm[node]))
    assert result.edges == sum(len(v) for v in mm.values()) - sum(
        len(v) for v in mine["mindmap"].values()
    )
