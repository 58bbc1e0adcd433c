"""Every exit code in the README's table is produced by at least one test.

Each row of ``CASES`` runs the installed ``proc`` as a subprocess (stdin not a
terminal) in the situation the README's table names, and asserts the code, the
stream the answer goes to, and that no traceback appears. A meta test reads the
table from README.md, so a code added there without a case here fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import UID_LINE, proc

README = Path(__file__).resolve().parents[1] / "README.md"


def running_store(path: Path) -> None:
    """A valid store with one running process ``job`` (UID 0-aaaa)."""
    rec = {
        "name": "job",
        "uid": "0-aaaa",
        "timeline": {"initialized": 1000, "terminated": -1, "disruptions": []},
    }
    path.write_text(json.dumps({"processes": {"0-aaaa": rec}}), encoding="utf-8")


def no_setup(path: Path) -> None:
    pass


def garbage_store(path: Path) -> None:
    path.write_bytes(b'{"processes": {"0-aaaa": ')


@dataclass
class Case:
    code: int
    setup: Callable[[Path], None]
    args: list[str]
    stdout: str | None  # a regex the whole stdout must match, or None for "empty"
    stderr: str  # a substring of stderr


CASES: dict[str, Case] = {
    # 0 -- success
    "0-start": Case(0, no_setup, ["start", "job"], r"\d+-[0-9a-f]{4,}\n", "started job"),
    "0-status-active": Case(0, running_store, ["status", "--json"], r"(?s)\[.*0-aaaa.*\]\n", ""),
    # 1 -- the request cannot be done
    "1-not-found": Case(1, no_setup, ["stop"], None, "no active process"),
    "1-wrong-state": Case(1, running_store, ["resume", "0-aaaa"], None, "is not paused"),
    "1-status-none": Case(1, no_setup, ["status"], None, "no active process"),
    # 2 -- usage error
    "2-unknown-command": Case(2, no_setup, ["frobnicate"], None, "No such command 'frobnicate'"),
    "2-bad-time": Case(2, running_store, ["stop", "--at", "tomorrow"], None, "invalid time"),
    "2-refused-prompt": Case(2, running_store, ["rm", "0-aaaa"], None, "refusing without --yes"),
    # 3 -- store error
    "3-invalid-store": Case(3, garbage_store, ["ls"], None, "malformed JSON"),
}


@pytest.mark.parametrize("case_id", list(CASES), ids=str)
def test_each_documented_code_is_produced(
    case_id: str, env: dict[str, str], store_path: Path
) -> None:
    case = CASES[case_id]
    case.setup(store_path)
    before = store_path.read_bytes() if store_path.exists() else None
    res = proc(*case.args, env=env)
    detail = f"exit {res.returncode}\nstdout: {res.stdout!r}\nstderr: {res.stderr!r}"
    assert res.returncode == case.code, detail
    assert "Traceback" not in res.stderr, detail
    if case.stdout is None:
        assert res.stdout == "", detail
    else:
        assert re.fullmatch(case.stdout, res.stdout), detail
    assert case.stderr in res.stderr, detail
    if case.code != 0:
        # A failure changes nothing.
        after = store_path.read_bytes() if store_path.exists() else None
        assert after == before
        if case_id != "1-status-none":  # "none active" is an answer, not an error
            assert res.stderr.startswith("proc: error:"), detail


def test_busy_layer_exits_1(env: dict[str, str], store_path: Path) -> None:
    first = proc("start", "design", "--layer", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert UID_LINE.match(first.stdout)
    before = store_path.read_bytes()
    res = proc("start", "review", "--layer", "1", env=env)
    assert res.returncode == 1, res.stderr
    assert res.stdout == ""
    assert "layer 1 is busy" in res.stderr
    assert first.stdout.strip() in res.stderr  # names the active one
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == before


def test_lock_not_obtained_in_time_exits_3(env: dict[str, str], store_path: Path) -> None:
    running_store(store_path)
    before = store_path.read_bytes()
    lock = os.open(str(store_path) + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another "proc" holds the lock
        res = proc("start", "job2", env=dict(env, PROC_LOCK_TIMEOUT="0.3"))
    finally:
        os.close(lock)
    assert res.returncode == 3, res.stderr
    assert res.stdout == ""
    assert "gave up" in res.stderr and "PROC_LOCK_TIMEOUT" in res.stderr
    assert "Traceback" not in res.stderr
    assert store_path.read_bytes() == before
    # Once the lock is free, the same command works.
    assert proc("start", "job2", env=env).returncode == 0


def _readme_codes() -> set[int]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return {int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}


def test_every_code_in_the_readme_table_has_a_case() -> None:
    documented = _readme_codes()
    assert documented == {0, 1, 2, 3}
    covered = {case.code for case in CASES.values()}
    assert documented <= covered
    # Each case id names its code, so a reader sees the table in the test ids.
    assert all(case_id.startswith(f"{case.code}-") for case_id, case in CASES.items())
