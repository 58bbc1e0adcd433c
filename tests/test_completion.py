"""Shell completion: the committed scripts match the generator, and the installed
``proc`` completes commands, UIDs and names from the store when a shell asks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from processes import completion

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
PROC = Path(sys.executable).with_name("proc")
BIN = PROC.parent

DOCUMENTED_COMMANDS = {
    "start",
    "stop",
    "pause",
    "resume",
    "ls",
    "show",
    "status",
    "rm",
    "link",
    "unlink",
    "graph",
    "times",
}

# A store with a running, a paused and a stopped process, and a mindmap node
# that has no process.
RUNNING = {"name": "writing", "uid": "0-aaaa"}
PAUSED = {"name": "reading", "uid": "1-bbbb"}
STOPPED = {"name": "old", "uid": "0-cccc"}


def _seed(path: Path) -> None:
    def rec(r: dict[str, str], start: int, end: int, pauses: list[object]) -> dict[str, object]:
        return {
            **r,
            "timeline": {"initialized": start, "terminated": end, "disruptions": pauses},
        }

    open_pause = {"pause": {"initialized": 1500, "terminated": -1, "disruptions": []}}
    doc = {
        "processes": {
            RUNNING["uid"]: rec(RUNNING, 1000, -1, []),
            PAUSED["uid"]: rec(PAUSED, 1100, -1, [open_pause]),
            STOPPED["uid"]: rec(STOPPED, 900, 950, []),
        },
        "mindmap": {"deploy": []},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


def _complete(env: dict[str, str], **variables: str) -> subprocess.CompletedProcess[str]:
    if not PROC.exists():
        pytest.fail(f"the installed console script is missing: {PROC} (pip install -e .)")
    res = subprocess.run(
        [str(PROC)],
        env={**env, **variables},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return res


def bash_words(env: dict[str, str], line: str) -> list[str]:
    """What bash completes for ``line`` (the cursor at its end)."""
    cword = len(line.split()) - (0 if line.endswith(" ") else 1)
    res = _complete(env, _PROC_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(cword))
    return [w for w in res.stdout.splitlines() if w]


_ZSH_ITEM = re.compile(r'^(?:_arguments \'\*: :\(\()?"((?:[^"\\]|\\.)*)"')


def zsh_words(env: dict[str, str], line: str) -> list[str]:
    res = _complete(env, _PROC_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=line)
    return [m.group(1) for ln in res.stdout.splitlines() if (m := _ZSH_ITEM.match(ln))]


def fish_words(env: dict[str, str], line: str) -> list[str]:
    res = _complete(
        env,
        _PROC_COMPLETE="complete_fish",
        _TYPER_COMPLETE_FISH_ACTION="get-args",
        _TYPER_COMPLETE_ARGS=line,
    )
    return [ln.split("\t", 1)[0] for ln in res.stdout.splitlines() if ln.strip()]


# -- the committed scripts ------------------------------------------------------------------


@pytest.mark.parametrize("shell", sorted(completion.FILES))
def test_committed_script_matches_generator(shell: str) -> None:
    path = COMPLETIONS / completion.FILES[shell]
    assert path.is_file(), (
        f"{path.relative_to(ROOT)} is missing; run `python -m processes.completion`"
    )
    assert completion.script(shell) == path.read_text(encoding="utf-8"), (
        f"{path.relative_to(ROOT)} has drifted from the app; "
        "run `python -m processes.completion` and commit the result"
    )


def test_every_committed_script_is_generated() -> None:
    committed = {p.name for p in COMPLETIONS.iterdir() if p.is_file()}
    assert committed == set(completion.FILES.values())


def test_committed_bash_script_completes_in_bash(env: dict[str, str], store_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    _seed(store_path)
    script = COMPLETIONS / completion.FILES["bash"]
    code = (
        f'source "{script}"\n'
        'COMP_WORDS=(proc stop ""); COMP_CWORD=2\n'
        "_proc_completion proc\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    res = subprocess.run(
        ["bash", "-c", code],
        env={**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    words = set(res.stdout.split())
    assert {RUNNING["uid"], PAUSED["uid"], RUNNING["name"], PAUSED["name"]} <= words


# -- completion by the installed proc ---------------------------------------------------------


def _app_commands() -> set[str]:
    import typer.main

    from processes.cli import app

    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_bash_completes_every_command(env: dict[str, str]) -> None:
    words = bash_words(env, "proc ")
    assert DOCUMENTED_COMMANDS <= set(words)
    assert set(words) == _app_commands()


def test_bash_completes_a_command_prefix(env: dict[str, str]) -> None:
    assert sorted(bash_words(env, "proc st")) == ["start", "status", "stop"]


def test_bash_completes_targets_of_stop(env: dict[str, str], store_path: Path) -> None:
    _seed(store_path)
    words = set(bash_words(env, "proc stop "))
    active = {RUNNING["uid"], PAUSED["uid"], RUNNING["name"], PAUSED["name"]}
    assert active <= words
    assert STOPPED["name"] not in words  # a stopped process is no target of stop
    assert words == active


def test_bash_completes_every_uid_for_show(env: dict[str, str], store_path: Path) -> None:
    _seed(store_path)
    words = set(bash_words(env, "proc show "))
    assert {RUNNING["uid"], PAUSED["uid"], STOPPED["uid"]} <= words


def test_zsh_completes_active_names_by_prefix(env: dict[str, str], store_path: Path) -> None:
    _seed(store_path)
    assert zsh_words(env, "proc stop w") == ["writing"]
    assert zsh_words(env, "proc stop 1-") == [PAUSED["uid"]]


def test_fish_completes_uids_for_rm(env: dict[str, str], store_path: Path) -> None:
    _seed(store_path)
    words = fish_words(env, "proc rm ")
    assert sorted(words) == sorted([RUNNING["uid"], PAUSED["uid"], STOPPED["uid"]])


def test_fish_completes_commands(env: dict[str, str]) -> None:
    assert DOCUMENTED_COMMANDS <= set(fish_words(env, "proc "))


def test_ls_name_completes_names(env: dict[str, str], store_path: Path) -> None:
    _seed(store_path)
    words = bash_words(env, "proc ls --name ")
    assert sorted(words) == sorted(["writing", "reading", "old", "deploy"])
    assert bash_words(env, "proc ls --name re") == ["reading"]


def test_completion_uses_the_store_option(env: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    _seed(other)
    env = {k: v for k, v in env.items() if k != "PROC_STORE"}
    env["PROC_STORE"] = str(tmp_path / "empty.json")
    words = bash_words(env, f"proc --store {other} rm ")
    assert sorted(words) == sorted([RUNNING["uid"], PAUSED["uid"], STOPPED["uid"]])


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_completion_against_a_corrupt_store_is_silent(
    env: dict[str, str], store_path: Path, shell: str
) -> None:
    garbage = b'{"processes": {"0-aaaa": nope'
    store_path.write_bytes(garbage)
    if shell == "bash":
        res = _complete(
            env, _PROC_COMPLETE="complete_bash", COMP_WORDS="proc stop ", COMP_CWORD="2"
        )
    else:
        res = _complete(
            env,
            _PROC_COMPLETE="complete_fish",
            _TYPER_COMPLETE_FISH_ACTION="get-args",
            _TYPER_COMPLETE_ARGS="proc rm ",
        )
    assert res.stdout.strip() == ""
    assert res.stderr == ""
    assert store_path.read_bytes() == garbage


def test_zsh_completion_against_a_corrupt_store_offers_no_uid(
    env: dict[str, str], store_path: Path
) -> None:
    store_path.write_bytes(b"\xef\xbb\xbf{}")
    res = _complete(env, _PROC_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="proc stop ")
    assert res.stderr == ""
    assert not re.search(r"\d+-[0-9a-f]{4}", res.stdout)


def test_completion_without_a_store_creates_none(env: dict[str, str], store_path: Path) -> None:
    assert bash_words(env, "proc stop ") == []
    assert bash_words(env, "proc ls --name ") == []
    assert not store_path.exists()
