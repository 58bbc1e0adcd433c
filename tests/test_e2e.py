"""End to end: the installed ``proc`` run as a subprocess, the way a shell script runs it.

Every test runs the real console script (next to ``sys.executable``) with stdin
not a terminal and checks stdout, stderr and the exit code. The store is the
``env`` fixture's ``PROC_STORE``; nothing here touches the user's data directory.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import PROC, UID_LINE, ok, proc

BIN = PROC.parent
JQ = shutil.which("jq")
needs_jq = pytest.mark.skipif(JQ is None, reason="jq is not installed")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[@-Z\\-_]")
BOX = re.compile("[\u2500-\u257f]")


@pytest.fixture(autouse=True)
def _neutral_output_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs before the ``env`` fixture copies os.environ: the caller's output
    # preferences must not change what these tests see.
    for name in ("PROC_OUTPUT", "FORCE_COLOR", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def sh(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with bash (strict mode), the venv's bin first on PATH."""
    assert PROC.exists(), f"the installed console script is missing: {PROC}"
    full = dict(env)
    full["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ls_json(env: dict[str, str]) -> list[dict[str, Any]]:
    res = ok(proc("ls", "--json", env=env))
    data = json.loads(res.stdout)
    assert isinstance(data, list)
    return data


def start(name: str, env: dict[str, str], *extra: str) -> str:
    res = ok(proc("start", name, *extra, env=env))
    assert UID_LINE.match(res.stdout), repr(res.stdout)
    return res.stdout.strip()


# -- a whole session in a shell script --------------------------------------------------


def test_shell_script_session_with_nested_pauses(env: dict[str, str]) -> None:
    res = ok(
        sh(
            """
            uid=$(proc start job --at @1000)
            proc pause "$uid" --at @1100
            proc pause "$uid" -t call --at @1150
            proc resume "$uid" --at @1200
            proc resume "$uid" --at @1250
            proc stop "$uid" --at @1300
            printf 'UID=%s\\n' "$uid"
            """,
            env,
        )
    )
    lines = res.stdout.splitlines()
    assert lines[-1].startswith("UID=")
    uid = lines[-1][len("UID=") :]
    # pause, pause, resume, resume and stop each print the UID alone.
    assert lines[:-1] == [uid] * 5

    data = ls_json(env)
    assert len(data) == 1
    rec = data[0]
    assert rec["name"] == "job"
    assert rec["uid"] == uid
    assert rec["layer"] == 0
    assert rec["state"] == "stopped"
    assert rec["started_at"] == "1970-01-01T00:16:40Z"
    assert rec["ended_at"] == "1970-01-01T00:21:40Z"
    assert rec["duration_s"] == 300
    assert rec["active_s"] == 150
    tl = rec["timeline"]
    assert tl["initialized"] == 1000
    assert tl["terminated"] == 1300
    assert len(tl["disruptions"]) == 1
    [outer] = tl["disruptions"]
    assert list(outer) == ["pause"]
    assert outer["pause"]["initialized"] == 1100
    assert outer["pause"]["terminated"] == 1250
    assert len(outer["pause"]["disruptions"]) == 1
    [inner] = outer["pause"]["disruptions"]
    assert list(inner) == ["call"]
    assert inner["call"]["initialized"] == 1150
    assert inner["call"]["terminated"] == 1200
    assert inner["call"].get("disruptions", []) == []


# -- stdout is data, stderr is messages, exit codes ------------------------------------------


def test_start_prints_only_the_uid(env: dict[str, str]) -> None:
    res = ok(proc("start", "x", env=env))
    assert UID_LINE.match(res.stdout), repr(res.stdout)
    assert "started" in res.stderr  # the confirmation goes to stderr
    uid = res.stdout.strip()
    assert [r["uid"] for r in ls_json(env)] == [uid]


def test_start_captured_by_command_substitution(env: dict[str, str]) -> None:
    res = ok(sh('uid=$(proc start x)\nprintf "[%s]" "$uid"', env))
    m = re.fullmatch(r"\[(\d+-[0-9a-f]{4,})\]", res.stdout)
    assert m, repr(res.stdout)
    assert [r["uid"] for r in ls_json(env)] == [m.group(1)]


def test_quiet_start_says_nothing_on_stderr(env: dict[str, str]) -> None:
    res = ok(proc("-q", "start", "x", env=env))
    assert UID_LINE.match(res.stdout), repr(res.stdout)
    assert res.stderr == ""


def test_busy_layer_exits_1_on_stderr(env: dict[str, str], store_path: Path) -> None:
    first = start("a", env, "--layer", "1")
    before = store_path.read_bytes()
    res = proc("start", "b", "--layer", "1", env=env)
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr.startswith("proc: error:")
    assert first in res.stderr  # names the active process
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == before


def test_bad_time_exits_2_on_stderr(env: dict[str, str], store_path: Path) -> None:
    start("a", env)
    before = store_path.read_bytes()
    res = proc("start", "b", "--at", "not-a-time", env=env)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith("proc: error:")
    assert "not-a-time" in res.stderr
    assert "@EPOCH" in res.stderr  # the accepted forms are listed
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [["start", "x"], ["ls"], ["ls", "--json"], ["stop"], ["status"], ["rm", "--all", "--yes"]],
    ids=lambda a: " ".join(a),
)
def test_garbage_store_exits_3_and_is_untouched(
    env: dict[str, str], store_path: Path, args: list[str]
) -> None:
    garbage = b'{"processes": {"0-aaaa": \x00 garbage\n'
    store_path.write_bytes(garbage)
    res = proc(*args, env=env)
    assert res.returncode == 3, res.stderr
    assert res.stdout == ""
    assert res.stderr.startswith("proc: error:")
    assert str(store_path) in res.stderr
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == garbage


def test_unknown_command_is_a_usage_error(env: dict[str, str]) -> None:
    res = proc("frobnicate", env=env)
    assert res.returncode == 2
    assert res.stdout == ""
    assert "Traceback" not in res.stderr


# -- jq -------------------------------------------------------------------------------------------


@needs_jq
def test_jq_selects_running_uids(env: dict[str, str]) -> None:
    a = start("a", env, "--at", "@1000")
    b = start("b", env, "--at", "@1001")
    c = start("c", env, "--at", "@1002")
    d = start("d", env, "--at", "@1003")
    ok(proc("stop", b, "--at", "@1010", env=env))
    ok(proc("pause", c, "--at", "@1010", env=env))
    res = ok(sh("""proc ls --json | jq -r '.[] | select(.state=="running") | .uid'""", env))
    assert res.stdout.splitlines() == [a, d]
    states = {r["uid"]: r["state"] for r in ls_json(env)}
    assert states == {a: "running", b: "stopped", c: "paused", d: "running"}


@needs_jq
def test_empty_store_lists_an_empty_array(env: dict[str, str]) -> None:
    res = ok(proc("ls", "--json", env=env))
    assert json.loads(res.stdout) == []
    assert res.stdout.strip() == "[]"
    res = ok(sh("proc ls --json | jq length", env))
    assert res.stdout == "0\n"


def test_empty_store_ls_plain_and_jsonl_print_nothing(env: dict[str, str]) -> None:
    assert ok(proc("ls", env=env)).stdout == ""
    assert ok(proc("ls", "--jsonl", env=env)).stdout == ""


# -- a reader that goes away --------------------------------------------------------------


def _seed_store(path: Path, count: int) -> None:
    processes = {}
    for i in range(count):
        uid = f"0-{i:04x}"
        processes[uid] = {
            "name": f"job{i % 7}",
            "uid": uid,
            "timeline": {
                "initialized": 1_000_000 + 10 * i,
                "terminated": 1_000_000 + 10 * i + 5,
                "disruptions": [],
            },
        }
    path.write_text(json.dumps({"processes": processes}), encoding="utf-8")


@pytest.mark.parametrize("fmt", ["", "--json", "--jsonl"])
def test_ls_into_head_ends_quietly(env: dict[str, str], store_path: Path, fmt: str) -> None:
    _seed_store(store_path, 3000)
    res = sh(f"proc ls {fmt} | head -n 1", dict(env, PROC_OUTPUT=""))
    assert res.stderr == "", res.stderr  # no BrokenPipeError, Traceback, "Exception ignored"
    assert res.returncode == 0
    assert len(res.stdout.splitlines()) == 1
    if fmt == "":
        assert res.stdout.startswith("0-0000\tjob0\tstopped\t0\t")


def test_plain_ls_of_a_big_store_is_complete(env: dict[str, str], store_path: Path) -> None:
    _seed_store(store_path, 3000)
    res = ok(proc("ls", env=env))
    lines = res.stdout.splitlines()
    assert len(lines) == 3000
    assert lines[0].split("\t")[0] == "0-0000"
    assert lines[-1].split("\t")[0] == f"0-{2999:04x}"


# -- status -q --------------------------------------------------------------------------------


def test_status_quiet_exit_codes(env: dict[str, str]) -> None:
    res = proc("status", "-q", env=env)
    assert (res.returncode, res.stdout, res.stderr) == (1, "", "")
    start("x", env)
    res = proc("status", "-q", env=env)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_status_json_lists_active_processes(env: dict[str, str]) -> None:
    res = proc("status", "--json", env=env)
    assert res.returncode == 1
    assert json.loads(res.stdout) == []
    uid = start("x", env)
    res = proc("status", "--json", env=env)
    assert res.returncode == 0
    assert [r["uid"] for r in json.loads(res.stdout)] == [uid]


# -- rm without a terminal ---------------------------------------------------------------------


def test_rm_refuses_without_a_terminal_and_works_with_yes(
    env: dict[str, str], store_path: Path
) -> None:
    keep = start("keep", env)
    uid = start("x", env)
    ok(proc("stop", uid, env=env))
    before = store_path.read_bytes()

    res = proc("rm", uid, env=env)
    assert res.returncode == 2
    assert res.stdout == ""
    assert "--yes" in res.stderr
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == before

    res = proc("rm", "--all", env=env)
    assert res.returncode == 2
    assert store_path.read_bytes() == before

    res = ok(proc("rm", uid, "--yes", env=env))
    assert res.stdout == uid + "\n"
    assert [r["uid"] for r in ls_json(env)] == [keep]


# -- colour and plain output -----------------------------------------------------------------


def _populate(env: dict[str, str]) -> None:
    a = start("alpha", env, "--at", "@1000")
    start("beta", env, "--at", "@2000", "--layer", "1")
    start("gamma", env, "--at", "@3000")
    ok(proc("pause", a, "--at", "@1500", env=env))
    ok(proc("stop", "gamma", "--at", "@3500", env=env))
    ok(proc("link", "alpha", "beta", env=env))


@pytest.mark.parametrize(
    "args", [["ls"], ["show", "alpha"], ["status"], ["graph"]], ids=lambda a: " ".join(a)
)
def test_no_color_table_has_no_escapes(env: dict[str, str], args: list[str]) -> None:
    _populate(env)
    res = ok(proc(*args, env=dict(env, NO_COLOR="1", PROC_OUTPUT="table")))
    assert res.stdout.strip()
    assert not ANSI.search(res.stdout), repr(res.stdout)
    assert not ANSI.search(res.stderr), repr(res.stderr)
    if args == ["ls"]:
        assert BOX.search(res.stdout)  # it is a table
        assert "alpha" in res.stdout and "gamma" in res.stdout


def test_plain_output_is_tab_separated(env: dict[str, str]) -> None:
    _populate(env)
    plain_env = {k: v for k, v in env.items() if k != "PROC_OUTPUT"}
    res = ok(proc("ls", env=plain_env))
    assert not BOX.search(res.stdout), res.stdout
    assert not ANSI.search(res.stdout), repr(res.stdout)
    lines = res.stdout.splitlines()
    assert len(lines) == 3
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 8 for row in rows), rows
    assert [row[1] for row in rows] == ["alpha", "beta", "gamma"]
    assert [row[2] for row in rows] == ["paused", "running", "stopped"]
    assert [row[3] for row in rows] == ["0", "1", "0"]
    assert rows[2][4:] == ["1970-01-01T00:50:00Z", "1970-01-01T00:58:20Z", "500", "500"]
    assert rows[0][5] == "-"

    for args in (["show", "alpha"], ["graph"], ["status"]):
        res = ok(proc(*args, env=plain_env))
        assert res.stdout.strip()
        assert not BOX.search(res.stdout), (args, res.stdout)
        assert not ANSI.search(res.stdout), (args, res.stdout)


def test_plain_override_and_json_have_no_escapes(env: dict[str, str]) -> None:
    _populate(env)
    res = ok(proc("ls", env=dict(env, PROC_OUTPUT="plain")))
    assert all(len(line.split("\t")) == 8 for line in res.stdout.splitlines())
    for args in (["ls", "--json"], ["ls", "--jsonl"], ["show", "alpha", "--json"]):
        res = ok(proc(*args, env=dict(env, PROC_OUTPUT="table")))
        assert not ANSI.search(res.stdout) and not BOX.search(res.stdout), args
        for line in res.stdout.splitlines() if args[1] == "--jsonl" else [res.stdout]:
            json.loads(line)


_COLOUR_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _colour_params(text: str) -> list[int]:
    """SGR parameters that set a colour (not bold, dim, reset...)."""
    found = []
    for m in _COLOUR_SGR.finditer(text):
        params = [int(p) for p in m.group(1).split(";") if p]
        for p in params:
            if 30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 97 or 100 <= p <= 107:
                found.append(p)
    return found


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    import pty

    assert PROC.exists(), f"the installed console script is missing: {PROC}"
    primary, secondary = pty.openpty()
    try:
        res = subprocess.run(
            [str(PROC), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO once the other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert res.returncode == 0, res.stderr
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_color_on_a_terminal_means_no_colour(env: dict[str, str]) -> None:
    _populate(env)
    term = {k: v for k, v in env.items() if k not in ("PROC_OUTPUT", "FORCE_COLOR")}
    term.update(TERM="xterm-256color", COLUMNS="120")
    coloured = _on_a_terminal(["ls"], term)
    assert BOX.search(coloured)  # a rich table on a terminal
    assert _colour_params(coloured), "expected colour on a terminal without NO_COLOR"
    plain = _on_a_terminal(["ls"], dict(term, NO_COLOR="1"))
    assert BOX.search(plain)
    assert _colour_params(plain) == [], repr(plain)


# -- version ----------------------------------------------------------------------------------


def test_version(env: dict[str, str]) -> None:
    res = ok(proc("--version", env=env))
    assert res.stdout == f"proc {importlib.metadata.version('proc-tracker')}\n"
