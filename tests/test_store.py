"""The store file: where it is, what counts as broken, and the atomic write protocol."""

from __future__ import annotations

import errno
import gc
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
import pytest

import processes
from processes import LockTimeoutError, Process, Store, StoreError, codec, schema
from processes import store as store_module

# -- helpers -----------------------------------------------------------------------------------


def record(uid: str = "1-abcd", **timeline: Any) -> dict[str, Any]:
    tl = {"initialized": 100, "terminated": 200, "disruptions": []}
    tl.update(timeline)
    return {"name": "job", "uid": uid, "timeline": tl}


def doc_bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=2).encode("utf-8")


def one(rec: dict[str, Any], key: str | None = None) -> bytes:
    return doc_bytes({"processes": {key if key is not None else rec["uid"]: rec}})


def pause(init: int, term: int, *subs: dict[str, Any], kind: str = "pause") -> dict[str, Any]:
    return {kind: {"initialized": init, "terminated": term, "disruptions": list(subs)}}


def nested(levels: int) -> dict[str, Any]:
    tl: dict[str, Any] = {"initialized": 0, "terminated": 10, "disruptions": []}
    for _ in range(levels):
        tl = {"initialized": 0, "terminated": 10, "disruptions": [{"pause": tl}]}
    return tl


def leftovers(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp"))


R = '$.processes["1-abcd"]'
TL = R + ".timeline"
DEEP_WHERE = TL + ".disruptions[0].pause" * (schema.MAX_DEPTH + 1)
PAD = {"padding": "x" * (codec.BIG + 100)}

# (id, file content, the JSON path of the fault or None, words of the problem)
BAD_STORES: list[tuple[str, bytes, str | None, str]] = [
    ("malformed-json", b'{"processes": {', None, "malformed JSON"),
    ("trailing-garbage", b'{"processes": {}} }', None, "malformed JSON"),
    ("zero-bytes", b"", None, "empty"),
    ("whitespace-only", b" \n\t\r\n  ", None, "empty"),
    ("utf8-bom", b'\xef\xbb\xbf{"processes": {}}', None, "byte-order mark"),
    ("not-utf8", b'{"processes": {}, "x": "\xff"}', None, "UTF-8"),
    ("top-level-list", b"[]", "$", "top level"),
    ("top-level-string", b'"processes"', "$", "top level"),
    ("processes-list", b'{"processes": []}', "$.processes", "keyed by UID"),
    ("processes-null", b'{"processes": null}', "$.processes", "keyed by UID"),
    ("record-not-object", b'{"processes": {"1-abcd": 5}}', R, "process record"),
    ("uid-differs-from-key", one(record("1-abce"), key="1-abcd"), R + ".uid", "differs"),
    (
        "uid-missing",
        one({"name": "x", "timeline": record()["timeline"]}, key="1-abcd"),
        R + ".uid",
        "differs",
    ),
    ("key-not-a-uid", one(record("abc")), "$.processes.abc", "not a process UID"),
    ("key-uppercase-hex", one(record("1-ABCD")), '$.processes["1-ABCD"]', "not a process UID"),
    ("key-short-hex", one(record("1-abc")), '$.processes["1-abc"]', "not a process UID"),
    ("key-leading-zero", one(record("01-abcd")), '$.processes["01-abcd"]', "not a process UID"),
    ("key-with-quote", one(record('a"b')), '$.processes["a\\"b"]', "not a process UID"),
    ("name-not-string", one({**record(), "name": 7}), R + ".name", "string"),
    ("timeline-missing", one({"name": "x", "uid": "1-abcd"}), TL, "missing"),
    ("timeline-not-object", one({**record(), "timeline": [1, 2]}), TL, "timeline"),
    ("time-boolean", one(record(initialized=True)), TL + ".initialized", "boolean"),
    ("time-float", one(record(initialized=100.5)), TL + ".initialized", "fraction"),
    ("time-whole-float", one(record(terminated=200.0)), TL + ".terminated", "fraction"),
    ("time-nan", one(record()).replace(b"200", b"NaN"), None, "NaN"),
    ("time-infinity", one(record()).replace(b"200", b"-Infinity"), None, "Infinity"),
    ("time-string", one(record(initialized="100")), TL + ".initialized", "string"),
    ("time-null", one(record(terminated=None)), TL + ".terminated", "integer"),
    (
        "time-missing",
        one({**record(), "timeline": {"terminated": 5}}),
        TL + ".initialized",
        "missing",
    ),
    ("time-negative", one(record(initialized=-5)), TL + ".initialized", ">= 0"),
    ("terminated-before-initialized", one(record(initialized=300)), TL, "before it starts"),
    ("terminated-below-minus-one", one(record(terminated=-2)), TL + ".terminated", "-1"),
    (
        "disruption-ends-after-parent",
        one(record(disruptions=[pause(150, 250)])),
        TL + ".disruptions[0].pause",
        "after the timeline it interrupts",
    ),
    (
        "disruption-starts-before-parent",
        one(record(disruptions=[pause(50, 150)])),
        TL + ".disruptions[0].pause",
        "before the timeline it interrupts",
    ),
    (
        "open-disruption-in-stopped-process",
        one(record(disruptions=[pause(150, -1)])),
        TL + ".disruptions[0].pause",
        "still open",
    ),
    (
        "two-open-disruptions",
        one(record(terminated=-1, disruptions=[pause(110, -1), pause(120, -1)])),
        TL + ".disruptions[1].pause",
        "second open",
    ),
    (
        "two-open-nested-disruptions",
        one(
            record(
                terminated=-1,
                disruptions=[pause(110, 120), pause(130, -1, pause(140, -1), pause(150, -1))],
            )
        ),
        TL + ".disruptions[1].pause.disruptions[1].pause",
        "second open",
    ),
    (
        "disruption-with-two-keys",
        one(record(disruptions=[{**pause(110, 120), **pause(130, 140, kind="call")}])),
        TL + ".disruptions[0]",
        "exactly one key",
    ),
    (
        "disruption-empty-object",
        one(record(disruptions=[{}])),
        TL + ".disruptions[0]",
        "exactly one key",
    ),
    (
        "disruption-not-object",
        one(record(disruptions=[[1]])),
        TL + ".disruptions[0]",
        "exactly one key",
    ),
    (
        "disruption-empty-type",
        one(record(disruptions=[pause(110, 120, kind="")])),
        TL + ".disruptions[0]",
        "empty",
    ),
    ("disruptions-not-list", one(record(disruptions={"pause": {}})), TL + ".disruptions", "list"),
    (
        "nested-too-deep",
        one({**record(), "timeline": nested(schema.MAX_DEPTH + 1)}),
        DEEP_WHERE,
        f"deeper than {schema.MAX_DEPTH}",
    ),
    ("mindmap-list", b'{"processes": {}, "mindmap": []}', "$.mindmap", "object"),
    ("mindmap-edges-not-list", b'{"mindmap": {"a": "b"}}', "$.mindmap.a", "list"),
    ("mindmap-edge-not-string", b'{"mindmap": {"a": ["b", 3]}}', "$.mindmap.a[1]", "string"),
    ("mindmap-edge-null", b'{"mindmap": {"b c": [null]}}', '$.mindmap["b c"][0]', "string"),
    # Past codec.BIG bytes another decoder reads the file; faults are found the same.
    ("big-malformed", doc_bytes(PAD)[:-1], None, "malformed JSON"),
    ("big-nan", doc_bytes({**PAD, "processes": {}}).replace(b"{}", b'{"x": NaN}'), None, "NaN"),
    (
        "big-open-in-stopped",
        doc_bytes({**PAD, "processes": {"1-abcd": record(disruptions=[pause(150, -1)])}}),
        TL + ".disruptions[0].pause",
        "still open",
    ),
]


@pytest.fixture(params=BAD_STORES, ids=[case[0] for case in BAD_STORES])
def bad_store(request: pytest.FixtureRequest, store_path: Path) -> tuple[Path, str | None, str]:
    _, content, where, words = request.param
    store_path.write_bytes(content)
    return store_path, where, words


def check_error(err: StoreError, path: Path, where: str | None, words: str) -> None:
    assert isinstance(err, processes.ProcError)
    assert err.exit_code == 3
    assert err.path == str(path)
    assert str(path) in str(err)
    assert err.where == where
    if where is not None:
        assert f" at {where}:" in str(err)
    assert words.lower() in err.problem.lower(), err.problem


def test_bad_store_table_is_what_it_claims() -> None:
    # The broken documents must differ from a valid one only by their fault:
    # the same shapes with the fault removed are accepted.
    assert schema.first_fault(json.loads(one(record()))) is None
    assert schema.first_fault(json.loads(one({**record(), "timeline": nested(32)}))) is None
    assert len({case[0] for case in BAD_STORES}) == len(BAD_STORES)


def test_reading_a_bad_store_raises_and_changes_nothing(
    bad_store: tuple[Path, str | None, str],
) -> None:
    path, where, words = bad_store
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Store(path).read()
    check_error(info.value, path, where, words)
    for load in (lambda: Process.loadAll(path), lambda: Process.load("1-abcd", path)):
        with pytest.raises(StoreError) as info:
            load()
        check_error(info.value, path, where, words)
    assert path.read_bytes() == before


def _put_via_transaction(path: Path) -> None:
    with Store(path).transaction() as doc:
        doc.put(record("2-0000"))


WRITERS: dict[str, Callable[[Path], Any]] = {
    "Process.write": lambda p: Process("new", 0, 1, 2).write(p),
    "Process.storeAll": lambda p: Process.storeAll(p),
    "Process.remove": lambda p: Process.remove("1-abcd", p),
    "Process.clear_storage": lambda p: Process.clear_storage(p),
    "Store.transaction": _put_via_transaction,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_writing_to_a_bad_store_raises_and_changes_nothing(
    bad_store: tuple[Path, str | None, str], writer: str
) -> None:
    path, where, words = bad_store
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        WRITERS[writer](path)
    check_error(info.value, path, where, words)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    assert not Path(str(path) + ".prev").exists()


def test_a_transaction_body_never_runs_on_a_bad_store(store_path: Path) -> None:
    store_path.write_bytes(b"")
    ran = []
    with pytest.raises(StoreError), Store(store_path).transaction():
        ran.append(True)
    assert ran == []
    assert store_path.read_bytes() == b""


@pytest.mark.parametrize(
    "content",
    [
        b"{}",
        b'{"processes": {}}',
        b'{"mindmap": {"a": ["b"], "b": []}}',
        one(record(initialized=5, terminated=5)),
        one(record(terminated=-1, disruptions=[pause(100, -1, pause(100, -1))])),
        one(record(disruptions=[pause(100, 200), pause(100, 200), pause(150, 150)])),
        one({"name": "n", "uid": "0-0000", "timeline": {"initialized": 0, "terminated": -1}}),
        one({**record("12-0123456789abcdef"), "x": {"y": [None, 1.5]}}),
        one({**record(), "timeline": nested(schema.MAX_DEPTH)}),
    ],
    ids=[
        "empty-object",
        "no-records",
        "mindmap-only",
        "zero-length",
        "open-nested",
        "same-type-disruptions",
        "no-disruptions-key",
        "long-uid-and-extras",
        "max-depth",
    ],
)
def test_valid_edge_cases_are_accepted(store_path: Path, content: bytes) -> None:
    store_path.write_bytes(content)
    assert Store(store_path).read().data == json.loads(content)
    Process("x", 0, 1, 2).write(store_path)
    after = Store(store_path).read().data
    for key, value in json.loads(content).items():
        if key != "processes":
            assert after[key] == value
    for uid, rec in json.loads(content).get("processes", {}).items():
        assert after["processes"][uid] == rec


def test_permission_denied_is_a_store_error(store_path: Path) -> None:
    store_path.write_bytes(one(record()))
    store_path.chmod(0)
    try:
        if os.access(store_path, os.R_OK):
            pytest.skip("running with privileges that ignore file permissions")
        with pytest.raises(StoreError) as info:
            Store(store_path).read()
        check_error(info.value, store_path, None, "cannot be read")
        with pytest.raises(StoreError) as info:
            Process("x", 0, 1, 2).write(store_path)
        check_error(info.value, store_path, None, "cannot be read")
    finally:
        store_path.chmod(0o644)
    assert store_path.read_bytes() == one(record())


UNPRIVILEGED_CHECK = """
import json, os, sys
from processes import Process, Store, StoreError
if os.access(sys.argv[1], os.R_OK) or os.access(os.path.dirname(sys.argv[2]), os.W_OK):
    print("null")
    sys.exit()
out = {}
for name, run in [
    ("read", lambda: Store(sys.argv[1]).read()),
    ("write", lambda: Process("x", 0, 1, 2).write(sys.argv[1])),
    ("write_in_read_only_dir", lambda: Process("x", 0, 1, 2).write(sys.argv[2])),
]:
    try:
        run()
        out[name] = None
    except StoreError as exc:
        out[name] = [exc.exit_code, exc.where, str(exc)]
out["read_in_read_only_dir"] = list(Store(sys.argv[2]).read().processes)
print(json.dumps(out))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_permission_denied_for_an_unprivileged_user() -> None:
    # As root, file permissions do not bind; check them as user "nobody".
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop privileges")
    base = Path(tempfile.mkdtemp(prefix="proc-perm-"))
    ro_dir = base / "ro"
    ro_dir.mkdir()
    try:
        base.chmod(0o755)
        unreadable = base / "processes.json"
        unreadable.write_bytes(one(record()))
        unreadable.chmod(0)
        ro_store = ro_dir / "processes.json"
        ro_store.write_bytes(one(record()))
        ro_store.chmod(0o644)
        ro_dir.chmod(0o555)
        env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_DATA_HOME")}
        nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run(
            [*nobody, sys.executable, "-c", UNPRIVILEGED_CHECK, str(unreadable), str(ro_store)],
            capture_output=True,
            text=True,
            cwd=base,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        if out is None:
            pytest.skip("the unprivileged user still bypasses file permissions")
        for key in ("read", "write"):
            code, where, message = out[key]
            assert code == 3 and where is None
            assert str(unreadable) in message and "denied" in message.lower()
        code, where, message = out["write_in_read_only_dir"]
        assert code == 3 and str(ro_store) in message and "denied" in message.lower()
        assert out["read_in_read_only_dir"] == ["1-abcd"]
        unreadable.chmod(0o644)
        assert unreadable.read_bytes() == one(record())
        assert ro_store.read_bytes() == one(record())
        assert sorted(os.listdir(ro_dir)) == ["processes.json"]
    finally:
        ro_dir.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_a_directory_is_not_a_store(store_path: Path) -> None:
    store_path.mkdir()
    (store_path / "inside").write_text("keep", encoding="utf-8")
    with pytest.raises(StoreError) as info:
        Store(store_path).read()
    check_error(info.value, store_path, None, "directory")
    for writer in WRITERS.values():
        with pytest.raises(StoreError) as info:
            writer(store_path)
        check_error(info.value, store_path, None, "directory")
    assert store_path.is_dir()
    assert os.listdir(store_path) == ["inside"]
    assert leftovers(store_path.parent) == []


def test_a_store_below_a_file_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    path = blocker / "processes.json"
    with pytest.raises(StoreError) as info:
        Store(path).read()
    assert info.value.exit_code == 3 and str(path) in str(info.value)
    with pytest.raises(StoreError) as info:
        Process("x", 0, 1, 2).write(path)
    assert info.value.exit_code == 3 and str(path) in str(info.value)
    assert blocker.read_text(encoding="utf-8") == "x"


# -- location --------------------------------------------------------------------------------


def test_explicit_path_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROC_STORE", str(tmp_path / "env.json"))
    explicit = tmp_path / "explicit.json"
    assert store_module.resolve_path(explicit) == str(explicit)
    assert Store(explicit).path == str(explicit)
    Process("x", 0, 1, 2).write(explicit)
    assert explicit.exists()
    assert not (tmp_path / "env.json").exists()


def test_environment_beats_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path = tmp_path / "deeper" / "env.json"
    monkeypatch.setenv("PROC_STORE", str(env_path))
    assert store_module.resolve_path() == str(env_path)
    assert store_module.resolve_path(None) == str(env_path)
    assert Store().path == str(env_path)
    with Store().transaction() as doc:
        doc.put(record())
    assert json.loads(env_path.read_bytes())["processes"] == {"1-abcd": record()}
    assert not Path(store_module.default_path()).exists()


@pytest.mark.parametrize("env_value", [None, ""])
def test_default_is_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_value: str | None
) -> None:
    if env_value is None:
        monkeypatch.delenv("PROC_STORE", raising=False)
    else:
        monkeypatch.setenv("PROC_STORE", env_value)
    expected = os.path.join(platformdirs.user_data_dir("proc", appauthor=False), "processes.json")
    # conftest points the data directories into the test's own folder.
    assert expected.startswith(str(tmp_path))
    assert store_module.default_path() == expected
    assert store_module.resolve_path() == expected
    assert Store().path == expected
    assert not os.path.exists(os.path.dirname(expected))
    # Reading a missing default store neither fails nor creates anything.
    assert Store().read().processes == {}
    assert not os.path.exists(os.path.dirname(expected))
    # The directory is created when first written.
    with Store().transaction() as doc:
        doc.put(record())
    assert os.path.isfile(expected)
    assert Store(expected).read().processes == {"1-abcd": record()}


def test_missing_directories_are_created_on_first_write(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "processes.json"
    assert Store(path).read().processes == {}
    assert not (tmp_path / "a").exists()
    p = Process("x", 0, 1, 2)
    p.write(path)
    assert Store(path).read().processes == {p.uid: p.to_hierarchical_dict()}


def test_a_missing_file_is_an_empty_store(store_path: Path) -> None:
    doc = Store(store_path).read()
    assert doc.processes == {}
    assert doc.mindmap == {}
    assert Process.loadAll(store_path) == []
    assert Process.load("1-abcd", store_path) is None
    assert Process.remove("1-abcd", store_path) is False
    with Store(store_path).transaction() as doc:
        assert doc.processes == {}
    assert not store_path.exists()  # nothing changed, nothing written
    Process.clear_storage(store_path)
    assert json.loads(store_path.read_bytes()) == {"processes": {}}


# -- the atomic write protocol -----------------------------------------------------------------


def test_every_write_replaces_the_file(store_path: Path) -> None:
    p = Process("x", 0, 1, -1)
    p.write(store_path)
    first = store_path.stat().st_ino
    p.ts["terminated"] = 5
    p.write(store_path)
    assert store_path.stat().st_ino != first  # a new file renamed over, not rewritten
    assert store_path.read_bytes().endswith(b"\n")
    assert json.loads(store_path.read_bytes())["processes"][p.uid]["timeline"]["terminated"] == 5


def test_a_transaction_without_change_does_not_write(store_path: Path) -> None:
    Process("x", 0, 1, 2).write(store_path)
    before = store_path.stat()
    with Store(store_path).transaction() as doc:
        assert len(doc.processes) == 1
    assert Process.remove("9-9999", store_path) is False
    after = store_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failing_transaction_body_writes_nothing(store_path: Path) -> None:
    Process("x", 0, 1, 2).write(store_path)
    before = store_path.read_bytes()
    with pytest.raises(RuntimeError), Store(store_path).transaction() as doc:
        doc.put(record())
        raise RuntimeError("boom")
    assert store_path.read_bytes() == before


def test_a_symlinked_store_is_followed(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "data.json"
    first = Process("first", 0, 1, 2)
    first.write(target)
    link = tmp_path / "link.json"
    link.symlink_to(target)

    second = Process("second", 0, 3, 4)
    assert second.write(link) == str(link)
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    stored = json.loads(target.read_bytes())["processes"]
    assert set(stored) == {first.uid, second.uid}
    assert Store(link).read().processes == stored
    # The lock and the previous version belong to the target.
    assert (real_dir / "data.json.lock").exists()
    assert (real_dir / "data.json.prev").exists()
    assert not (tmp_path / "link.json.lock").exists()
    assert leftovers(real_dir) == [] and leftovers(tmp_path) == []


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    target = tmp_path / "later" / "store.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    p = Process("x", 0, 1, 2)
    p.write(link)
    assert link.is_symlink()
    assert json.loads(target.read_bytes())["processes"] == {p.uid: p.to_hierarchical_dict()}


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664])
def test_the_file_mode_is_kept(store_path: Path, mode: int) -> None:
    Process("x", 0, 1, 2).write(store_path)
    store_path.chmod(mode)
    Process("y", 0, 1, 2).write(store_path)
    assert stat.S_IMODE(store_path.stat().st_mode) == mode
    assert len(Store(store_path).read().processes) == 2


def test_a_new_store_follows_the_umask(store_path: Path) -> None:
    old = os.umask(0o027)
    try:
        Process("x", 0, 1, 2).write(store_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o640


def test_leftover_temp_files_are_removed_by_the_next_write(store_path: Path) -> None:
    Process("x", 0, 1, 2).write(store_path)
    directory = store_path.parent
    stale = [
        directory / ".processes.json.12345.deadbeef.tmp",
        directory / ".processes.json.7.00ff00ff.tmp",
    ]
    unrelated = [
        directory / ".other.json.12345.deadbeef.tmp",
        directory / "processes.json.bak",
        directory / ".processes.json.notes",
        # The temp file of another store, "processes.json.2", in the same directory:
        # it may belong to a write in progress under that store's own lock.
        directory / ".processes.json.2.12345.deadbeef.tmp",
        directory / ".processes.json.old.tmp",
    ]
    for path in stale + unrelated:
        path.write_bytes(b'{"processes": {')
    before = store_path.read_bytes()
    assert Store(store_path).read().processes  # reading ignores them
    assert store_path.read_bytes() == before
    Process("y", 0, 1, 2).write(store_path)
    for path in stale:
        assert not path.exists()
    for path in unrelated:
        assert path.exists()
    assert len(Store(store_path).read().processes) == 2


def test_the_lock_file_exists_and_is_never_deleted(store_path: Path) -> None:
    lock = Path(str(store_path) + ".lock")
    assert not lock.exists()
    p = Process("x", 0, 1, 2)
    p.write(store_path)
    assert lock.exists()
    inode = lock.stat().st_ino
    Process.storeAll(store_path)
    Process.remove(p.uid, store_path)
    Process.clear_storage(store_path)
    Store(store_path).read()
    assert lock.exists()
    assert lock.stat().st_ino == inode
    assert Store(store_path).lock_path == str(lock)


def test_prev_is_a_hard_link_of_the_previous_content(store_path: Path) -> None:
    prev = Path(str(store_path) + ".prev")
    p = Process("x", 0, 1, -1)
    p.write(store_path)
    assert not prev.exists()  # there was no previous content
    content1, inode1 = store_path.read_bytes(), store_path.stat().st_ino
    p.ts["terminated"] = 5
    p.write(store_path)
    assert prev.read_bytes() == content1
    assert prev.stat().st_ino == inode1  # the very file, linked, not a copy
    content2, inode2 = store_path.read_bytes(), store_path.stat().st_ino
    assert content2 != content1
    Process.remove(p.uid, store_path)
    assert prev.read_bytes() == content2
    assert prev.stat().st_ino == inode2
    Store(store_path).read()
    assert prev.stat().st_ino == inode2


# -- the lock ----------------------------------------------------------------------------------


@contextmanager
def lock_held_in_thread(path: Path, seconds: float | None) -> Iterator[threading.Event]:
    """Hold the store's lock in another thread, released after ``seconds`` or at exit."""
    got = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with Store(path).lock(timeout=5):
            got.set()
            release.wait(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert got.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join(5)


def test_a_writer_gives_up_after_the_lock_timeout(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    Process("x", 0, 1, 2).write(store_path)
    before = store_path.read_bytes()
    monkeypatch.setenv("PROC_LOCK_TIMEOUT", "0.3")
    with lock_held_in_thread(store_path, None):
        for writer in WRITERS.values():
            start = time.monotonic()
            with pytest.raises(LockTimeoutError) as info:
                writer(store_path)
            waited = time.monotonic() - start
            assert 0.25 <= waited < 3
            assert isinstance(info.value, StoreError)
            assert info.value.exit_code == 3
            assert str(store_path) in str(info.value)
            assert "lock" in str(info.value)
            # Readers do not wait for the lock.
            start = time.monotonic()
            assert len(Store(store_path).read().processes) == 1
            assert time.monotonic() - start < 0.25
    assert store_path.read_bytes() == before
    assert "waiting for the lock" not in capfd.readouterr().err


def test_a_zero_timeout_fails_at_once(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROC_LOCK_TIMEOUT", "0")
    with lock_held_in_thread(store_path, None):
        start = time.monotonic()
        with pytest.raises(LockTimeoutError):
            Process("x", 0, 1, 2).write(store_path)
        assert time.monotonic() - start < 0.25
    assert not store_path.exists()


def test_a_writer_waits_for_a_short_lock_silently(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROC_LOCK_TIMEOUT", "5")
    p = Process("x", 0, 1, 2)
    with lock_held_in_thread(store_path, 0.3):
        start = time.monotonic()
        p.write(store_path)
        assert time.monotonic() - start >= 0.2
    assert p.uid in Store(store_path).read().processes
    out, err = capfd.readouterr()
    assert "waiting for the lock" not in err
    assert out == ""


def test_a_long_wait_tells_stderr(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROC_LOCK_TIMEOUT", "10")
    p = Process("x", 0, 1, 2)
    with lock_held_in_thread(store_path, 1.6):
        start = time.monotonic()
        p.write(store_path)
        waited = time.monotonic() - start
    assert 1.4 <= waited < 8
    assert p.uid in Store(store_path).read().processes
    out, err = capfd.readouterr()
    assert out == ""
    assert err.count("waiting for the lock") == 1
    assert os.path.realpath(store_path) in err


def test_a_timeout_after_a_long_wait_tells_stderr_first(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROC_LOCK_TIMEOUT", "1.3")
    with lock_held_in_thread(store_path, None), pytest.raises(LockTimeoutError):
        Process("x", 0, 1, 2).write(store_path)
    assert "waiting for the lock" in capfd.readouterr().err


HOLDER = """
import sys
from processes import Store
with Store(sys.argv[1]).lock(timeout=5):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_lock_held_by_another_process_is_respected(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "locked\n"
        monkeypatch.setenv("PROC_LOCK_TIMEOUT", "0.3")
        with pytest.raises(LockTimeoutError):
            Process("x", 0, 1, 2).write(store_path)
        assert not store_path.exists()
        holder.stdin.close()
        assert holder.wait(10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    p = Process("x", 0, 1, 2)
    p.write(store_path)
    assert p.uid in Store(store_path).read().processes


# -- failing writes ----------------------------------------------------------------------------


def _enospc(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("call", ["replace", "write", "fsync"])
@pytest.mark.parametrize("existing", [True, False], ids=["existing", "new"])
def test_a_failing_write_leaves_the_old_file_whole(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, existing: bool
) -> None:
    if existing:
        Process("old", 0, 1, 2).write(store_path)
        before: bytes | None = store_path.read_bytes()
    else:
        before = None
    gc.collect()  # storeAll takes every instance not yet collected, even another test's
    unsaved = Process("unsaved", 0, 3, 4)  # live, so storeAll has something to write
    monkeypatch.setattr(os, call, _enospc)
    for writer in (
        lambda: Process("new", 0, 3, 4).write(store_path),
        lambda: Process.storeAll(store_path),
    ):
        with pytest.raises(StoreError) as info:
            writer()
        assert info.value.exit_code == 3
        assert str(store_path) in str(info.value)
        assert os.strerror(errno.ENOSPC) in str(info.value)
        if before is None:
            assert not store_path.exists()
        else:
            assert store_path.read_bytes() == before
        assert leftovers(store_path.parent) == []
    monkeypatch.undo()
    # The next write works normally.
    p = Process("after", 0, 5, 6)
    p.write(store_path)
    Process.storeAll(store_path)
    assert {p.uid, unsaved.uid} <= set(Store(store_path).read().processes)


def test_short_writes_are_completed(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    calls = []

    def short_write(fd: int, data: Any) -> int:
        calls.append(1)
        return real_write(fd, bytes(data[:7]))

    procs = [Process(f"p{i}", 0, i, i + 1) for i in range(20)]
    monkeypatch.setattr(os, "write", short_write)
    Process.storeAll(store_path)
    monkeypatch.undo()
    assert len(calls) > 10
    stored = Store(store_path).read().processes
    for p in procs:
        assert stored[p.uid] == p.to_hierarchical_dict()


def test_a_write_never_removes_the_temp_file_of_another_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two stores side by side, "processes.json" and "processes.json.2". While the
    # second is between writing its temp file and renaming it (under its own lock),
    # a write to the first must not take that temp file for a leftover.
    first = tmp_path / "processes.json"
    second = tmp_path / "processes.json.2"
    real_fsync = os.fsync
    interleaved = []

    def fsync_then_write_the_other(fd: int) -> None:
        real_fsync(fd)
        if not interleaved:
            interleaved.append(leftovers(tmp_path))
            Process("other", 0, 1, 2).write(first)

    monkeypatch.setattr(os, "fsync", fsync_then_write_the_other)
    p = Process("mine", 0, 3, 4)
    p.write(second)
    monkeypatch.undo()
    assert len(interleaved) == 1 and len(interleaved[0]) == 1  # the temp file was there
    assert p.uid in Store(second).read().processes
    assert [r["name"] for r in Store(first).read().processes.values()] == ["other"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("pad", [False, True], ids=["small", "big"])
def test_malformed_json_is_located_by_line_and_column(store_path: Path, pad: bool) -> None:
    content = b'{\n  "processes": {},\n  "x": [1, 2,, 3]\n}\n'
    if pad:
        content = content.replace(b'"x"', b'"pad": "' + b"p" * codec.BIG + b'",\n  "x"')
    store_path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        Store(store_path).read()
    line = 4 if pad else 3
    assert f"line {line}, column 14" in str(info.value)  # the second comma
    assert str(store_path) in str(info.value)
    assert store_path.read_bytes() == content


BAD_RECORDS: list[tuple[str, dict[str, Any]]] = [
    ("ends-before-start", record(initialized=300)),
    ("time-float", record(initialized=1.5)),
    ("time-boolean", record(terminated=False)),
    ("disruption-outside", record(disruptions=[pause(150, 250)])),
    ("open-in-stopped", record(disruptions=[pause(150, -1)])),
    ("two-open", record(terminated=-1, disruptions=[pause(110, -1), pause(120, -1)])),
    ("too-deep", {**record(), "timeline": nested(schema.MAX_DEPTH + 1)}),
    ("bad-uid", record("1-xyz!")),
    ("name-missing", {"uid": "1-abcd", "timeline": record()["timeline"]}),
]


@pytest.mark.parametrize("rec", [r for _, r in BAD_RECORDS], ids=[i for i, _ in BAD_RECORDS])
def test_a_change_that_breaks_an_invariant_is_refused(
    store_path: Path, rec: dict[str, Any]
) -> None:
    Process("kept", 0, 1, 2).write(store_path)
    before = store_path.read_bytes()
    with (
        pytest.raises(processes.InvalidRecordError) as info,
        Store(store_path).transaction() as doc,
    ):
        doc.put(rec)
    assert info.value.exit_code == 2
    assert isinstance(info.value, ValueError)
    if "name" in rec:
        with pytest.raises(processes.InvalidRecordError):
            Process.load_dict(rec).write(store_path)
    assert store_path.read_bytes() == before
    assert leftovers(store_path.parent) == []
