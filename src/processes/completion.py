"""Shell completion scripts for ``proc``, generated from the app.

``python -m processes.completion [DIR]`` writes them (default ``completions/``);
a test regenerates them and fails when the committed files drift. The scripts
call ``proc`` back with ``_PROC_COMPLETE`` set, so UIDs and names complete from
the store at the time of typing.
"""

from __future__ import annotations

import sys
from pathlib import Path

FILES = {"bash": "proc.bash", "zsh": "_proc", "fish": "proc.fish"}


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from typer._completion_shared import get_completion_script

    text: str = get_completion_script(prog_name="proc", complete_var="_PROC_COMPLETE", shell=shell)
    return text + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write every shell's script into ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in FILES.items():
        path = directory / name
        path.write_text(script(shell), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("completions")
    for path in write_all(target):
        print(path)
