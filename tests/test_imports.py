"""Start-up structure: what the hot commands import.

Every ``proc`` call is a fresh interpreter, so import cost is most of a command's
time. The installed console script is run in a child interpreter that reports
``sys.modules`` at exit; rich (tables) and pydantic must not be imported by the
commands scripts use, and platformdirs not when the store is given.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROC = Path(sys.executable).with_name("proc")

# Runs the installed console script as it is (whatever entry point it names)
# and prints the top-level packages that were imported, on stderr, at exit.
PROBE = """
import atexit, runpy, sys

def _report():
    import json
    tops = sorted({m.split(".")[0] for m in list(sys.modules)})
    sys.stderr.write("\\nMODULES=" + json.dumps(tops) + "\\n")
    sys.stderr.flush()

atexit.register(_report)
script = sys.argv[1]
sys.argv = [script, *sys.argv[2:]]
runpy.run_path(script, run_name="__main__")
"""

HEAVY = {"rich", "pydantic"}


def imported_by(
    args: list[str], env: dict[str, str], output: str | None = None
) -> tuple[int, str, set[str]]:
    """(exit code, stdout, top-level modules) of ``proc ARGS`` run through the probe.

    stdout is a pipe; ``output`` sets ``PROC_OUTPUT`` (unset by default).
    """
    env = {k: v for k, v in env.items() if k != "PROC_OUTPUT"}
    if output is not None:
        env["PROC_OUTPUT"] = output
    if not PROC.exists():
        pytest.fail(f"the installed console script is missing: {PROC} (pip install -e .)")
    res = subprocess.run(
        [sys.executable, "-c", PROBE, str(PROC), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("MODULES=")]
    assert lines, f"the probe did not report (exit {res.returncode}):\n{res.stderr}"
    return res.returncode, res.stdout, set(json.loads(lines[-1][len("MODULES=") :]))


def test_hot_commands_import_no_rich_and_no_pydantic(env: dict[str, str]) -> None:
    code, out, mods = imported_by(["start", "x"], env)
    assert code == 0
    uid = out.strip()
    assert not mods & HEAVY, f"start imported {sorted(mods & HEAVY)}"

    for args in (
        ["ls", "--json"],
        ["ls", "--jsonl"],
        ["ls"],  # piped: plain lines, no table
        ["status", "--json"],
        ["show", uid],
        ["pause", "x"],
        ["resume"],
    ):
        code, out, mods = imported_by(args, env)
        assert code == 0, args
        assert not mods & HEAVY, f"{' '.join(args)} imported {sorted(mods & HEAVY)}"
    code, out, mods = imported_by(["ls", "--json"], env)
    assert [r["uid"] for r in json.loads(out)] == [uid]

    code, out, mods = imported_by(["stop"], env)
    assert code == 0 and out.strip() == uid
    assert not mods & HEAVY, f"stop imported {sorted(mods & HEAVY)}"

    code, out, mods = imported_by(["status", "--json"], env)
    assert code == 1 and json.loads(out) == []
    assert not mods & HEAVY, f"status --json imported {sorted(mods & HEAVY)}"


def test_given_store_needs_no_platformdirs(env: dict[str, str]) -> None:
    for args in (["start", "x"], ["ls", "--json"], ["stop"], ["status", "--json"]):
        _, _, mods = imported_by(args, env)
        assert "platformdirs" not in mods, " ".join(args)


def test_hot_commands_skip_typer(env: dict[str, str]) -> None:
    # processes.entry parses the plain forms of the hot commands itself.
    for args in (["start", "x"], ["ls", "--json"], ["status", "--json"], ["stop"]):
        _, _, mods = imported_by(args, env)
        assert "typer" not in mods, f"{' '.join(args)} imported typer"


def test_probe_sees_rich_when_a_table_is_drawn(env: dict[str, str]) -> None:
    # The probe itself works: a forced table does import rich.
    imported_by(["start", "x"], env)
    code, out, mods = imported_by(["ls"], env, output="table")
    assert code == 0 and "x" in out
    assert "rich" in mods


def test_import_processes_is_light() -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, processes\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    mods = set(json.loads(res.stdout))
    assert "processes" in mods
    assert not mods & {"typer", "click", "rich", "pydantic"}, sorted(mods)
