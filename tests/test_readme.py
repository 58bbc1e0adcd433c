"""The README's examples, run as tests.

Every fenced block right after a line ``<!-- example: NAME -->`` is one test case:
``sh`` blocks run with bash in strict mode against a fresh store, with the
installed ``proc`` first on PATH; ``python`` blocks run with this interpreter.
Some examples also have their outcome checked in the store they leave behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
PROC = Path(sys.executable).with_name("proc")

MARKER = re.compile(r"^<!--\s*example:\s*(?P<name>[\w.-]+)\s*-->\s*$")
FENCE = re.compile(r"^```\s*(?P<lang>[\w+-]*)\s*$")


@dataclass(frozen=True)
class Example:
    name: str
    lang: str
    code: str
    line: int  # 1-based line of the marker


def _readme_lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


def extract_examples(lines: list[str]) -> list[Example]:
    """The marked blocks, in order; a marker not followed by a fenced block is an error."""
    out: list[Example] = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].strip())
        if not m:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = FENCE.match(lines[j].strip()) if j < len(lines) else None
        if fence is None:
            raise ValueError(f"README line {i + 1}: example {m['name']!r} has no fenced block")
        k = j + 1
        while k < len(lines) and lines[k].strip() != "```":
            k += 1
        if k >= len(lines):
            raise ValueError(f"README line {j + 1}: unterminated fenced block")
        out.append(Example(m["name"], fence["lang"], "\n".join(lines[j + 1 : k]) + "\n", i + 1))
        i = k + 1
    return out


EXAMPLES = extract_examples(_readme_lines())


@dataclass
class Ran:
    result: subprocess.CompletedProcess[str]
    env: dict[str, str]
    cwd: Path


def _run_example(ex: Example, tmp_path: Path) -> Ran:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = dict(os.environ)
    env["PROC_STORE"] = str(tmp_path / "store" / "processes.json")
    env.pop("PROC_OUTPUT", None)
    if ex.lang in ("sh", "bash", "shell"):
        if not PROC.exists():
            pytest.fail(f"the installed console script is missing: {PROC} (pip install -e .)")
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        argv = ["bash", "-c", "set -euo pipefail\n" + ex.code]
    elif ex.lang in ("python", "py"):
        script = cwd / f"example_{ex.name}.py"
        script.write_text(ex.code, encoding="utf-8")
        argv = [sys.executable, str(script)]
    else:
        pytest.fail(f"README example {ex.name!r} (line {ex.line}): unknown language {ex.lang!r}")
    res = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Ran(res, env, cwd)


def _ls(ran: Ran) -> list[dict[str, Any]]:
    res = subprocess.run(
        [str(PROC), "ls", "--json"],
        env=ran.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert isinstance(data, list)
    return data


# -- outcomes of particular examples ------------------------------------------------------


def _check_session(ran: Ran) -> None:
    recs = _ls(ran)
    assert len(recs) == 1, recs
    [rec] = recs
    assert rec["name"] == "writing"
    assert rec["state"] == "stopped"
    top = rec["timeline"]["disruptions"]
    assert len(top) == 1, top
    [call] = top
    assert list(call) == ["call"]
    inner = call["call"]["disruptions"]
    assert len(inner) == 1, inner
    [pause] = inner
    assert list(pause) == ["pause"]
    assert pause["pause"].get("disruptions", []) == []
    # both closed, the pause inside the call
    c, p = call["call"], pause["pause"]
    assert c["terminated"] != -1 and p["terminated"] != -1
    assert c["initialized"] <= p["initialized"] <= p["terminated"] <= c["terminated"]


def _check_layers(ran: Ran) -> None:
    assert "layer 1 is busy" in ran.result.stdout
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rec in _ls(ran):
        by_name.setdefault(rec["name"], []).append(rec)
    assert sorted(by_name) == ["design", "review"]
    assert len(by_name["design"]) == 1 and len(by_name["review"]) == 1
    design, review = by_name["design"][0], by_name["review"][0]
    assert design["state"] == "stopped"
    assert review["state"] == "stopped"
    assert design["layer"] == 1 and review["layer"] == 1
    assert design["timeline"]["terminated"] == review["timeline"]["initialized"]


def _check_jq(ran: Ran) -> None:
    recs = _ls(ran)
    lint = [r for r in recs if r["name"] == "lint"]
    assert len(lint) == 1, recs
    lines = ran.result.stdout.splitlines()
    assert lines, "the jq example printed nothing"
    assert lines[0] == lint[0]["uid"]


CHECKS: dict[str, Callable[[Ran], None]] = {
    "session": _check_session,
    "layers": _check_layers,
    "jq": _check_jq,
}


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("ex", EXAMPLES, ids=[ex.name for ex in EXAMPLES])
def test_readme_example(ex: Example, tmp_path: Path) -> None:
    if "jq " in ex.code and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    ran = _run_example(ex, tmp_path)
    res = ran.result
    assert res.returncode == 0, (
        f"README example {ex.name!r} (line {ex.line}) exited {res.returncode}\n"
        f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    )
    assert "Traceback" not in res.stderr, res.stderr
    check = CHECKS.get(ex.name)
    if check is not None:
        check(ran)


def test_examples_are_found() -> None:
    names = [ex.name for ex in EXAMPLES]
    markers = [line for line in _readme_lines() if MARKER.match(line.strip())]
    assert len(names) == len(markers)
    assert len(set(names)) == len(names), f"duplicate example names: {names}"
    assert set(CHECKS) <= set(names), f"examples with checks missing from the README: {names}"
    assert any(ex.lang == "python" for ex in EXAMPLES)


def test_setup_commands_come_first() -> None:
    lines = _readme_lines()
    head: list[str] = []
    for line in lines[1:]:  # after the title
        if line.startswith("#"):
            break
        head.append(line)
    install = [ln for ln in head if "pip install ." in ln and "proc" in ln]
    tests = [ln for ln in head if ".[test]" in ln and "pytest" in ln]
    assert install, "the README should open with the install-and-run command"
    assert tests, "the README should open with the install-tests-and-run-them command"


def test_exit_code_table_lists_0_to_3() -> None:
    lines = _readme_lines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^#+\s*Exit codes\s*$", ln)), None)
    assert start is not None, "no 'Exit codes' section in the README"
    codes: list[int] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        m = re.match(r"^\|\s*(\d+)\s*\|", line)
        if m:
            codes.append(int(m.group(1)))
    assert codes == [0, 1, 2, 3]


def test_every_test_the_readme_names_exists() -> None:
    # The guarantees table names the tests that prove each promise; a renamed
    # or deleted test must not leave the README pointing at nothing.
    root = Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 8
    last_file = None
    for file, func in named:
        path = root / file
        assert path.is_file(), file
        if func:
            assert re.search(rf"^def {func}\(", path.read_text(encoding="utf-8"), re.M), (
                f"{file}::{func}"
            )
        last_file = file
    assert last_file is not None
    # "::name" right after a file refers to that file.
    for func in re.findall(r"`::(\w+)`", text):
        assert any(
            re.search(rf"^def {func}\(", (root / f).read_text(encoding="utf-8"), re.M)
            for f, _ in named
        ), func
