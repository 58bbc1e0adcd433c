"""Helpers shared by the tests that run the installed ``proc`` as a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

PROC = Path(sys.executable).with_name("proc")
UID_LINE = re.compile(r"^\d+-[0-9a-f]{4,}\n$")


def proc(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run the installed ``proc`` with ``args``, as a script would: stdin is not a terminal."""
    assert PROC.exists(), (
        f"the installed console script is missing: {PROC} "
        "(install the project into this interpreter's environment: pip install -e .)"
    )
    kw.setdefault("timeout", 60)
    return subprocess.run(
        [str(PROC), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        **kw,
    )


def ok(res: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """``res`` after checking it exited 0 without a traceback."""
    detail = f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert res.returncode == 0, detail
    assert "Traceback" not in res.stderr, detail
    return res


def seed_store(path: Path, count: int) -> dict[str, Any]:
    """Write a store of ``count`` stopped records (each with one pause) directly,
    in the seed's format, and return its records."""
    procs: dict[str, Any] = {}
    for i in range(count):
        uid = f"1-{i:04x}"
        procs[uid] = {
            "name": f"old {i}",
            "uid": uid,
            "timeline": {
                "initialized": 1_700_000_000 + i,
                "terminated": 1_700_000_500 + i,
                "disruptions": [
                    {"pause": {"initialized": 1_700_000_100 + i, "terminated": 1_700_000_200 + i}}
                ],
            },
        }
    path.write_text(json.dumps({"processes": procs}), encoding="utf-8")
    return procs
