"""Bad input, catalogued: every bad store and every bad argument, through the installed ``proc``.

Two tables drive this module:

* ``BAD_STORES``: store files that are not valid. Each is run against several
  commands (reading and writing ones); each must exit 3, name the file and the
  JSON path of the fault on stderr with the problem's words, print no
  traceback, and leave the file byte-for-byte as it was (no temp file, no
  ``.prev``).
* ``BAD_ARGS``: command lines that are usage errors. Each must exit 2, say what
  was wrong on stderr (a specific substring per case), print no traceback and
  leave a valid store byte-for-byte unchanged. Arguments are passed as bytes,
  so a name can carry bytes that are not UTF-8 (Python turns them into lone
  surrogates).

Then the file system's own failures: a full disk (a tiny tmpfs) and a directory
that cannot be written (a read-only mount, an immutable directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from processes.schema import MAX_DEPTH

PROC = Path(sys.executable).with_name("proc")
BIG = 256 * 1024  # from this size on, the store is decoded by another codec (orjson)

Arg = str | bytes


class Result:
    """A finished ``proc``: exit code, and its output decoded without losing bytes."""

    def __init__(self, args: list[Arg], res: subprocess.CompletedProcess[bytes]) -> None:
        self.args = args
        self.returncode = res.returncode
        self.stdout = res.stdout.decode("utf-8", "backslashreplace")
        self.stderr = res.stderr.decode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        shown = [a if len(a) < 60 else a[:60] + (b"..." if isinstance(a, bytes) else "...")
                 for a in self.args]  # fmt: skip
        return (
            f"proc {shown!r}: exit {self.returncode}\n"
            f"stdout: {self.stdout[:2000]!r}\nstderr: {self.stderr[:2000]!r}"
        )


def proc(*args: Arg, env: dict[str, str]) -> Result:
    """Run the installed ``proc`` with a bytes argv; stdin is not a terminal."""
    assert PROC.exists(), f"the installed console script is missing: {PROC}"
    argv = [os.fsencode(PROC), *(a if isinstance(a, bytes) else os.fsencode(a) for a in args)]
    res = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    return Result(list(args), res)


def others(directory: Path, store: Path) -> list[str]:
    """Entries next to the store that are neither the store nor its lock file."""
    return sorted(set(os.listdir(directory)) - {store.name, store.name + ".lock", "home"})


# -- the bad stores -----------------------------------------------------------------------


def record(uid: str = "1-abcd", **timeline: Any) -> dict[str, Any]:
    tl: dict[str, Any] = {"initialized": 100, "terminated": 200, "disruptions": []}
    tl.update(timeline)
    return {"name": "job", "uid": uid, "timeline": tl}


def doc_bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=2).encode("utf-8")


def one(rec: Any, key: str = "1-abcd") -> bytes:
    return doc_bytes({"processes": {key: rec}})


def pause(init: int, term: int, *subs: dict[str, Any], kind: str = "pause") -> dict[str, Any]:
    return {kind: {"initialized": init, "terminated": term, "disruptions": list(subs)}}


def nested(levels: int) -> dict[str, Any]:
    tl: dict[str, Any] = {"initialized": 0, "terminated": 10, "disruptions": []}
    for _ in range(levels):
        tl = {"initialized": 0, "terminated": 10, "disruptions": [{"pause": tl}]}
    return tl


R = '$.processes["1-abcd"]'
TL = R + ".timeline"
PAD = {"padding": "x" * (BIG + 100)}

# (id, file content, the JSON path of the fault or None for the file as a whole,
#  words of the problem that stderr must contain)
BAD_STORES: list[tuple[str, bytes, str | None, str]] = [
    # -- not a JSON document
    ("malformed-json", b'{"processes": {', None, "malformed JSON"),
    ("malformed-missing-comma", b'{"processes": {} "mindmap": {}}', None, "malformed JSON"),
    ("torn-half-a-file", one(record())[: len(one(record())) // 2], None, "malformed JSON"),
    ("trailing-garbage", b'{"processes": {}} {}', None, "malformed JSON"),
    ("zero-bytes", b"", None, "empty file"),
    ("whitespace-only", b"\n  \t\n", None, "empty file"),
    ("nul-bytes", b"\x00" * 64, None, "malformed JSON"),
    ("utf8-bom", b'\xef\xbb\xbf{"processes": {}}', None, "byte-order mark"),
    ("utf16", '{"processes": {}}'.encode("utf-16"), None, "not UTF-8"),
    ("not-utf8", b'{"processes": {}, "x": "\xff"}', None, "not UTF-8"),
    ("nan-time", one(record()).replace(b"200", b"NaN"), None, "NaN is not valid JSON"),
    ("infinity-time", one(record()).replace(b"200", b"Infinity"), None, "Infinity is not valid"),
    # -- wrong shapes
    ("top-level-list", b'[{"processes": {}}]', "$", "expected an object at the top level"),
    ("top-level-string", b'"processes"', "$", "found a string"),
    ("top-level-null", b"null", "$", "found null"),
    ("processes-list", b'{"processes": []}', "$.processes", "expected an object keyed by UID"),
    ("processes-string", b'{"processes": "x"}', "$.processes", "found a string"),
    ("record-not-object", b'{"processes": {"1-abcd": [1]}}', R, "expected an object"),
    ("mindmap-list", b'{"processes": {}, "mindmap": ["a"]}', "$.mindmap", "found a list"),
    ("mindmap-string", b'{"mindmap": "a -> b"}', "$.mindmap", "found a string"),
    ("mindmap-number", b'{"mindmap": 3}', "$.mindmap", "found a number"),
    ("mindmap-edges-object", b'{"mindmap": {"a": {"b": 1}}}', "$.mindmap.a", "found an object"),
    ("mindmap-edge-number", b'{"mindmap": {"a": ["b", 3]}}', "$.mindmap.a[1]", "found a number"),
    # -- wrong types in a record
    ("time-boolean", one(record(initialized=True)), TL + ".initialized", "found a boolean"),
    ("time-float", one(record(initialized=100.5)), TL + ".initialized", "with a fraction"),
    ("time-whole-float", one(record(terminated=200.0)), TL + ".terminated", "with a fraction"),
    ("time-string", one(record(initialized="100")), TL + ".initialized", "found a string"),
    ("time-null", one(record(terminated=None)), TL + ".terminated", "missing"),
    ("time-missing", one({**record(), "timeline": {"terminated": 5}}), TL + ".initialized", "missing"),  # noqa: E501
    ("time-negative", one(record(initialized=-5)), TL + ".initialized", "must be >= 0"),
    ("terminated-below-minus-one", one(record(terminated=-7)), TL + ".terminated", "or -1"),
    ("name-number", one({**record(), "name": 7}), R + ".name", "expected a string"),
    ("name-null", one({**record(), "name": None}), R + ".name", "found null"),
    ("timeline-missing", one({"name": "x", "uid": "1-abcd"}), TL, "missing"),
    ("timeline-list", one({**record(), "timeline": [100, 200]}), TL, "a timeline"),
    ("disruptions-object", one(record(disruptions={"pause": {}})), TL + ".disruptions", "a list"),
    ("disruption-two-keys", one(record(disruptions=[{**pause(110, 120), **pause(130, 140, kind="call")}])), TL + ".disruptions[0]", "exactly one key"),  # noqa: E501
    # -- identity
    ("uid-differs-from-key", one(record("1-abce")), R + ".uid", "differs from its key"),
    ("uid-missing", one({"name": "x", "timeline": record()["timeline"]}), R + ".uid", "differs"),
    ("key-not-a-uid", one(record("job"), key="job"), "$.processes.job", "is not a process UID"),
    ("key-uppercase", one(record("1-ABCD"), key="1-ABCD"), '$.processes["1-ABCD"]', "not a process UID"),  # noqa: E501
    ("key-short-hex", one(record("1-abc"), key="1-abc"), '$.processes["1-abc"]', "not a process UID"),  # noqa: E501
    ("key-negative-layer", one(record("-1-abcd"), key="-1-abcd"), '$.processes["-1-abcd"]', "not a process UID"),  # noqa: E501
    # -- broken invariants
    ("end-before-start", one(record(initialized=300)), TL, "ends (200) before it starts (300)"),
    ("disruption-ends-after-parent", one(record(disruptions=[pause(150, 250)])), TL + ".disruptions[0].pause", "ends (250) after the timeline it interrupts ends (200)"),  # noqa: E501
    ("disruption-starts-before-parent", one(record(disruptions=[pause(50, 150)])), TL + ".disruptions[0].pause", "starts (50) before the timeline it interrupts (100)"),  # noqa: E501
    ("disruption-ends-before-start", one(record(disruptions=[pause(150, 140)])), TL + ".disruptions[0].pause", "ends (140) before it starts (150)"),  # noqa: E501
    ("two-open-disruptions", one(record(terminated=-1, disruptions=[pause(110, -1), pause(120, -1)])), TL + ".disruptions[1].pause", "a second open disruption at the same level"),  # noqa: E501
    ("two-open-nested", one(record(terminated=-1, disruptions=[pause(110, -1, pause(120, -1), pause(130, -1))])), TL + ".disruptions[0].pause.disruptions[1].pause", "a second open disruption"),  # noqa: E501
    ("open-disruption-in-stopped", one(record(disruptions=[pause(150, -1)])), TL + ".disruptions[0].pause", "is still open after the timeline it interrupts ends (200)"),  # noqa: E501
    ("nested-deeper-than-cap", one({**record(), "timeline": nested(MAX_DEPTH + 1)}), TL + ".disruptions[0].pause" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),  # noqa: E501
    # -- big files (another decoder): the same faults, found the same way
    ("big-malformed", doc_bytes(PAD)[:-2], None, "malformed JSON"),
    ("big-nan", doc_bytes({**PAD, "processes": {}}).replace(b"{}", b'{"1-abcd": NaN}'), None, "NaN"),  # noqa: E501
    ("big-open-in-stopped", doc_bytes({**PAD, "processes": {"1-abcd": record(disruptions=[pause(150, -1)])}}), TL + ".disruptions[0].pause", "still open"),  # noqa: E501
]  # fmt: skip

# Every bad store is run against these (reading and writing commands) ...
STORE_COMMANDS: list[list[str]] = [
    ["ls"],
    ["start", "new"],
    ["stop"],
    ["status"],
    ["pause"],
    ["rm", "--all", "--yes"],
]
# ... and a few representative ones against every command that opens the store.
EVERY_COMMAND: list[list[str]] = [
    *STORE_COMMANDS,
    ["ls", "--json"],
    ["ls", "--jsonl", "--running"],
    ["start", "new", "--layer", "1", "--switch", "--at", "-1m"],
    ["stop", "1-abcd", "--json"],
    ["pause", "1-abcd", "-t", "call"],
    ["resume"],
    ["show", "1-abcd"],
    ["status", "--json"],
    ["rm", "1-abcd", "--yes"],
    ["link", "a", "b"],
    ["unlink", "a", "b"],
    ["graph"],
    ["report"],
    ["export"],
    ["run", "wrapped", "--", "true"],
]
CHECK = ["check", "--json"]
REPRESENTATIVE = ["malformed-json", "zero-bytes", "time-float", "open-disruption-in-stopped"]


def test_the_bad_store_table_is_what_it_claims(env: dict[str, str], store_path: Path) -> None:
    # The same shapes without their fault are accepted: the base record, and
    # disruptions nested exactly as deep as the cap allows.
    assert len({case[0] for case in BAD_STORES}) == len(BAD_STORES)
    for content in (one(record()), one({**record(), "timeline": nested(MAX_DEPTH)})):
        store_path.write_bytes(content)
        res = proc("ls", "--json", env=env)
        assert res.returncode == 0, res
        assert [r["uid"] for r in json.loads(res.stdout)] == ["1-abcd"]


def _refused_by_all(
    commands: list[list[str]],
    env: dict[str, str],
    store_path: Path,
    content: bytes,
    where: str | None,
    words: str,
) -> None:
    store_path.write_bytes(content)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: proc(*args, env=env), [*commands, CHECK]))
    # proc check reports the same fault at the same place, first.
    checked = results.pop()
    assert checked.returncode == 3, checked
    assert "Traceback" not in checked.stderr, checked
    faults = json.loads(checked.stdout)
    assert faults[0]["path"] == (where or "$"), checked
    assert words in faults[0]["problem"], checked
    head = f"proc: error: store {store_path}" + (f" at {where}: " if where else ": ")
    for res in results:
        assert res.returncode == 3, res
        assert res.stdout == "", res
        assert "Traceback" not in res.stderr, res
        assert res.stderr.startswith(head), res
        assert words in res.stderr, res
    # Never written over, and nothing left next to it (no temp file, no .prev).
    assert store_path.read_bytes() == content
    assert others(store_path.parent, store_path) == []


@pytest.mark.parametrize(
    ("content", "where", "words"),
    [case[1:] for case in BAD_STORES],
    ids=[case[0] for case in BAD_STORES],
)
def test_a_bad_store_is_refused_by_every_command(
    env: dict[str, str], store_path: Path, content: bytes, where: str | None, words: str
) -> None:
    _refused_by_all(STORE_COMMANDS, env, store_path, content, where, words)


@pytest.mark.parametrize(
    ("content", "where", "words"),
    [case[1:] for case in BAD_STORES if case[0] in REPRESENTATIVE],
    ids=REPRESENTATIVE,
)
def test_a_bad_store_is_refused_by_each_command_that_opens_it(
    env: dict[str, str], store_path: Path, content: bytes, where: str | None, words: str
) -> None:
    _refused_by_all(EVERY_COMMAND, env, store_path, content, where, words)


# -- the bad arguments ---------------------------------------------------------------------

ACCEPTED = "accepted: now; @EPOCH; ISO 8601"
BAD_TIMES = [
    "tomorrow",
    "25:00",
    "12:60",
    "12:30:61",
    "2026-13-01",
    "2026-02-30",
    "2026-12-04T09:30+25:00",
    "T09:30",
    "@",
    "@abc",
    "@99999999999999",
    "-15x",
    "-1.5h",
    "--1h",
    "1h",
    "15 minutes ago",
    "yesterday 25:00",
    "now now",
    "",
    " ",
]

# (id, argv, what stderr must say)
BAD_ARGS: list[tuple[str, list[Arg], str]] = [
    ("unknown-command", ["frobnicate"], "No such command 'frobnicate'"),
    ("unknown-command-typo", ["strat", "x"], "No such command 'strat'"),
    ("unknown-global-option", ["--bogus", "ls"], "No such option: --bogus"),
    ("unknown-option-start", ["start", "x", "--bogus"], "No such option: --bogus"),
    ("unknown-option-ls", ["ls", "--runing"], "No such option: --runing"),
    ("unknown-option-status", ["status", "--all"], "No such option: --all"),
    ("missing-argument-start", ["start"], "Missing argument 'NAME'"),
    ("missing-argument-link", ["link", "a"], "Missing argument 'NODE'"),
    ("missing-option-value", ["stop", "--at"], "Option '--at' requires an argument"),
    ("extra-argument", ["stop", "0-aaaa", "0-bbbb"], "unexpected extra argument"),
    ("negative-layer", ["start", "x", "--layer", "-1"], "-1 is not in the range x>=0"),
    ("negative-layer-short", ["start", "x", "-l", "-3"], "-3 is not in the range x>=0"),
    ("negative-layer-ls", ["ls", "--layer", "-2"], "-2 is not in the range x>=0"),
    ("non-numeric-layer", ["start", "x", "--layer", "abc"], "'abc' is not a valid int"),
    ("fractional-layer", ["start", "x", "-l", "1.5"], "'1.5' is not a valid int"),
    ("non-numeric-limit", ["ls", "-n", "x"], "'x' is not a valid int"),
    *[
        (f"time-{i:02d}", ["start", "x", "--at", t], f"invalid time {t!r}")
        for i, t in enumerate(BAD_TIMES)
    ],
    ("time-on-stop", ["stop", "0-aaaa", "--at", "noon"], "invalid time 'noon'"),
    ("time-on-pause", ["pause", "0-aaaa", "--at", "9am"], "invalid time '9am'"),
    ("time-on-resume", ["resume", "--at", "later"], "invalid time 'later'"),
    ("time-on-since", ["ls", "--since", "last week"], "invalid time 'last week'"),
    ("time-on-until", ["ls", "--until", "2026-12-04T25:00"], "invalid time"),
    ("time-in-future", ["start", "x", "--at", "9999-12-31"], "is in the future"),
    ("time-before-start", ["stop", "0-aaaa", "--at", "@999"], "comes before"),
    ("name-control-char", [b"start", b"a\x07b"], "control character or line break (U+0007)"),
    ("name-escape-seq", [b"start", b"\x1b[31mred"], "control character or line break (U+001B)"),
    ("name-newline", [b"start", b"two\nlines"], "control character or line break (U+000A)"),
    ("name-carriage-return", [b"start", b"a\rb"], "(U+000D)"),
    ("name-line-separator", ["start", "a\u2028b"], "(U+2028)"),
    ("name-100000-chars", ["start", "n" * 100_000], "has 100000 characters; at most 200"),
    ("name-201-chars", ["start", "n" * 201], "has 201 characters; at most 200"),
    ("name-empty", ["start", ""], "the name must not be empty"),
    ("name-blank", ["start", "   "], "the name must not be empty"),
    ("name-lone-surrogate", [b"start", b"\xed\xa0\x80"], "a lone surrogate (U+DCED)"),
    ("name-invalid-utf8", [b"start", b"job\xff"], "a lone surrogate (U+DCFF)"),
    ("type-newline", [b"pause", b"0-aaaa", b"-t", b"a\nb"], "the disruption type contains"),
    ("node-control-char", [b"link", b"a\x01", b"b"], "the node name contains"),
    ("node-invalid-utf8", [b"link", b"a", b"\xff"], "the node name contains a lone surrogate"),
    ("rm-without-yes", ["rm", "0-aaaa"], "refusing without --yes"),
    ("rm-all-without-yes", ["rm", "--all"], "refusing without --yes"),
    ("rm-uids-and-all", ["rm", "0-aaaa", "--all", "--yes"], "give UIDs or --all, not both"),
    ("json-and-jsonl", ["ls", "--json", "--jsonl"], "cannot be combined"),
    ("two-state-filters", ["ls", "--running", "--paused"], "choose at most one of"),
    ("both-and-reverse", ["link", "a", "b", "--both", "--reverse"], "choose one of --both"),
    ("report-grouping", ["report", "--by", "week"], "invalid grouping 'week'"),
    ("run-timeout", ["run", "x", "--timeout", "soon", "--", "true"], "invalid duration 'soon'"),
]

VALID_STORE = doc_bytes(
    {
        "processes": {
            "0-aaaa": {
                "name": "alpha",
                "uid": "0-aaaa",
                "timeline": {"initialized": 1000, "terminated": -1, "disruptions": []},
            }
        },
        "mindmap": {"alpha": []},
    }
)


def test_the_bad_argument_table_is_what_it_claims(env: dict[str, str], store_path: Path) -> None:
    assert len({case[0] for case in BAD_ARGS}) == len(BAD_ARGS)
    assert len(BAD_TIMES) >= 10
    # The valid forms next to the bad ones work on the same store.
    store_path.write_bytes(VALID_STORE)
    for args in (
        ["ls", "--layer", "0", "-n", "1", "--since", "@0", "--until", "now"],
        ["pause", "0-aaaa", "-t", "call", "--at", "@1100"],
        ["resume", "--at", "@1200"],
        ["stop", "0-aaaa", "--at", "@1300"],
        ["start", "n" * 200, "--layer", "1", "--at", "-15m"],
        ["link", "alpha", "beta", "--both"],
    ):
        res = proc(*args, env=env)
        assert res.returncode == 0, res


@pytest.mark.parametrize(
    ("args", "says"), [case[1:] for case in BAD_ARGS], ids=[case[0] for case in BAD_ARGS]
)
def test_a_bad_argument_is_a_usage_error(
    env: dict[str, str], store_path: Path, args: list[Arg], says: str
) -> None:
    store_path.write_bytes(VALID_STORE)
    res = proc(*args, env=env)
    assert res.returncode == 2, res
    assert res.stdout == "", res
    assert "Traceback" not in res.stderr, res
    assert res.stderr.startswith("proc: error: "), res
    assert says in res.stderr, res
    if says.startswith("invalid time"):
        assert ACCEPTED in res.stderr, res  # the message lists the accepted forms
    assert store_path.read_bytes() == VALID_STORE
    assert others(store_path.parent, store_path) == []


# -- the file system fails ---------------------------------------------------------------


def _run_root_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Any]:
    """``mount(size, ro=False)`` mounts a fresh tmpfs; it is unmounted after the test."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        directory = tmp_path / f"mnt{len(mounted)}"
        directory.mkdir()
        res = _run_root_tool("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                             str(directory))  # fmt: skip
        if res.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {res.stderr.strip()}")
        mounted.append(directory)
        return directory

    yield mount
    for directory in reversed(mounted):
        if _run_root_tool("umount", str(directory)).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], check=False, timeout=30)


def _filling_store(limit: int) -> bytes:
    """A valid store just over ``limit`` bytes, as compact as proc writes it (or more)."""
    procs: dict[str, Any] = {}
    i = 0
    while True:
        uid = f"0-{i:04x}"
        procs[uid] = {
            "name": f"job {i}",
            "uid": uid,
            "timeline": {"initialized": 1000 + i, "terminated": 2000 + i, "disruptions": []},
        }
        i += 1
        data = json.dumps({"processes": procs}, separators=(",", ":")).encode()
        if len(data) > limit:
            return data


def test_a_full_disk_fails_the_write_and_keeps_the_old_file_whole(
    tmpfs: Any, env: dict[str, str]
) -> None:
    directory = tmpfs("64k")
    store = directory / "processes.json"
    content = _filling_store(40_000)
    store.write_bytes(content)
    env = dict(env, PROC_STORE=str(store))
    fs = os.statvfs(directory)
    # The new file (the old one plus a record) cannot fit next to the old one.
    assert fs.f_bavail * fs.f_frsize < len(content)

    for args in (["start", "one-more"], ["link", "a", "b"], ["rm", "0-0000", "--yes"]):
        res = proc(*args, env=env)
        assert res.returncode == 3, res
        assert res.stdout == "", res
        assert "Traceback" not in res.stderr, res
        assert res.stderr.startswith(f"proc: error: store {store}: write failed"), res
        assert "the store is unchanged" in res.stderr, res
        assert "No space left on device" in res.stderr, res
        assert store.read_bytes() == content
        assert others(directory, store) == []  # no temp file, no .prev
    # The store still loads, whole.
    res = proc("ls", "--json", env=env)
    assert res.returncode == 0, res
    assert len(json.loads(res.stdout)) == len(json.loads(content)["processes"])
    # A change that fits works: the failures left nothing in the way.
    res = proc("rm", "--all", "--yes", env=env)
    assert res.returncode == 0, res
    assert json.loads(store.read_bytes())["processes"] == {}


def test_a_read_only_directory_is_a_store_error_naming_it(tmpfs: Any, env: dict[str, str]) -> None:
    directory = tmpfs("1m")
    store = directory / "processes.json"
    store.write_bytes(VALID_STORE)
    res = _run_root_tool("mount", "-o", "remount,ro", str(directory))
    if res.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {res.stderr.strip()}")
    env = dict(env, PROC_STORE=str(store))
    for args in (["start", "x"], ["stop", "0-aaaa"], ["link", "a", "b"], ["rm", "--all", "-y"]):
        res = proc(*args, env=env)
        assert res.returncode == 3, res
        assert "Traceback" not in res.stderr, res
        assert f"in the directory {directory}: Read-only file system" in res.stderr, res
        assert store.read_bytes() == VALID_STORE
    # Reading still works.
    res = proc("ls", "--json", env=env)
    assert res.returncode == 0, res
    assert [r["uid"] for r in json.loads(res.stdout)] == ["0-aaaa"]


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Any]:
    """``make(directory)`` sets the immutable attribute (root cannot write there either)."""
    done: list[Path] = []

    def make(directory: Path) -> None:
        res = _run_root_tool("chattr", "+i", str(directory))
        if res.returncode != 0:
            pytest.skip(f"cannot make a directory immutable here: {res.stderr.strip()}")
        done.append(directory)

    yield make
    for directory in done:
        subprocess.run(["chattr", "-i", str(directory)], check=False, timeout=30)


def test_an_immutable_directory_is_a_store_error_naming_it(
    immutable: Any, tmp_path: Path, env: dict[str, str]
) -> None:
    directory = tmp_path / "locked"
    directory.mkdir()
    store = directory / "processes.json"
    env = dict(env, PROC_STORE=str(store))
    res = proc("start", "first", env=env)  # creates the store and its lock file
    assert res.returncode == 0, res
    before = store.read_bytes()
    immutable(directory)
    # The lock file can be opened, but no temp file can be created next to the store.
    res = proc("start", "second", env=env)
    assert res.returncode == 3, res
    assert "Traceback" not in res.stderr, res
    assert f"cannot write in the directory {directory}: Operation not permitted" in res.stderr
    assert store.read_bytes() == before
    assert others(directory, store) == []
