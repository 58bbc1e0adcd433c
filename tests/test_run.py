"""End-to-end tests of ``proc run`` (issue 6), with real child processes.

Each test runs the installed ``proc`` command in a subprocess, against the
test's own store (the ``env`` fixture), with ``proc``'s directory first on PATH
so that the wrapped commands can call ``proc`` themselves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

PROC = Path(sys.executable).with_name("proc")
PY = sys.executable

# A child that reports which forwarded signal it received, then exits with a
# code chosen per signal; it touches a ready file once its handlers are set.
SIGNAL_CHILD = """\
import os, signal, sys, time
from pathlib import Path

got, ready = Path(sys.argv[1]), Path(sys.argv[2])
codes = {"SIGINT": 21, "SIGTERM": 22, "SIGHUP": 23}

def handler(signum, frame):
    name = signal.Signals(signum).name
    got.write_text(name)
    os._exit(codes[name])

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, handler)
ready.write_text("ready")
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    time.sleep(0.05)
os._exit(99)
"""

# A child that touches a ready file and then sleeps with default signal handling.
PLAIN_CHILD = """\
import sys, time
from pathlib import Path

Path(sys.argv[1]).write_text("ready")
time.sleep(30)
"""

# A child that writes every byte value and invalid UTF-8 to stdout, other bytes to stderr.
OUT_BYTES = bytes(range(256)) + b"\xff\xfe\xc3\x28\xed\xa0\x80\n\r\n\x00end"
ERR_BYTES = b"\x80\x81 stderr \xfe\xff" + bytes(range(255, -1, -1))
BINARY_CHILD = f"""\
import sys
sys.stdout.buffer.write({OUT_BYTES!r})
sys.stdout.buffer.flush()
sys.stderr.buffer.write({ERR_BYTES!r})
sys.stderr.buffer.flush()
"""


@pytest.fixture
def run_env(env: dict[str, str]) -> dict[str, str]:
    """The ``env`` fixture's environment with proc's directory first on PATH."""
    out = dict(env)
    out["PATH"] = str(PROC.parent) + os.pathsep + out.get("PATH", "")
    return out


def proc(
    env: dict[str, str],
    *args: str,
    input: bytes | None = None,
    cwd: Path | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``proc ARGS`` to its end; stdout and stderr captured as bytes."""
    return subprocess.run(
        [str(PROC), *args],
        env=env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
    )


def err(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stderr.decode("utf-8", "replace")


def records(store_path: Path) -> dict[str, dict[str, Any]]:
    if not store_path.exists():
        return {}
    procs: dict[str, dict[str, Any]] = json.loads(store_path.read_text("utf-8"))["processes"]
    return procs


def only_record(store_path: Path, name: str | None = None) -> dict[str, Any]:
    recs = [r for r in records(store_path).values() if name is None or r["name"] == name]
    assert len(recs) == 1, recs
    return recs[0]


def assert_stopped(rec: dict[str, Any]) -> None:
    tl = rec["timeline"]
    assert tl["terminated"] != -1, rec
    assert tl["terminated"] >= tl["initialized"]


def wait_for(path: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- success and exit codes ------------------------------------------------------------


def test_success_records_a_stopped_run(run_env: dict[str, str], store_path: Path) -> None:
    argv = ["printf", "[%s]\\n", "--", "--json", "-l", "3", "", "a b", "é", "$HOME"]
    before = int(time.time())
    result = proc(run_env, "run", "backup", "--", *argv)
    after = int(time.time())
    assert result.returncode == 0, err(result)
    assert result.stdout.decode() == "[--]\n[--json]\n[-l]\n[3]\n[]\n[a b]\n[é]\n[$HOME]\n"
    rec = only_record(store_path)
    assert rec["name"] == "backup"
    assert rec["uid"].startswith("0-")
    assert rec["command"] == argv
    assert rec["exit_code"] == 0 and type(rec["exit_code"]) is int
    assert "signal" not in rec
    assert_stopped(rec)
    assert before <= rec["timeline"]["initialized"] <= rec["timeline"]["terminated"] <= after
    assert rec["timeline"]["disruptions"] == []


@pytest.mark.parametrize("code", [1, 3, 42, 255])
def test_failure_status_is_passed_on(run_env: dict[str, str], store_path: Path, code: int) -> None:
    result = proc(run_env, "run", "job", "--", "sh", "-c", f"exit {code}")
    assert result.returncode == code
    rec = only_record(store_path)
    assert rec["exit_code"] == code
    assert "signal" not in rec
    assert rec["command"] == ["sh", "-c", f"exit {code}"]
    assert_stopped(rec)


def test_status_3_from_the_command_is_not_mistaken_for_a_store_error(
    run_env: dict[str, str], store_path: Path
) -> None:
    result = proc(run_env, "run", "job", "--", "sh", "-c", "exit 3")
    assert result.returncode == 3
    assert result.stderr == b""


@pytest.mark.parametrize("command", ["no-such-command-7f3a", "./no/such/file"])
def test_command_not_found_exits_127(
    run_env: dict[str, str], store_path: Path, tmp_path: Path, command: str
) -> None:
    result = proc(run_env, "run", "job", "--", command, "arg", cwd=tmp_path)
    assert result.returncode == 127
    assert command in err(result)
    assert result.stdout == b""
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["command"] == [command, "arg"]
    assert rec["exit_code"] == 127


def test_file_without_execute_permission_exits_126(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    target = script(tmp_path, "not-executable.sh", f"#!/bin/sh\ntouch '{marker}'\n")
    target.chmod(0o644)  # no x bit at all: exec fails with EACCES even for root
    result = proc(run_env, "run", "job", "--", str(target))
    assert result.returncode == 126
    assert str(target) in err(result)
    assert not marker.exists()
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] == 126


def test_directory_as_command_exits_126(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    result = proc(run_env, "run", "job", "--", str(folder))
    assert result.returncode == 126
    assert str(folder) in err(result)
    assert_stopped(only_record(store_path))


@pytest.mark.parametrize("args", [["run", "job"], ["run", "job", "--"], ["run"]])
def test_missing_command_is_a_usage_error(
    run_env: dict[str, str], store_path: Path, args: list[str]
) -> None:
    result = proc(run_env, *args)
    assert result.returncode == 2
    assert "proc: error" in err(result)
    assert records(store_path) == {}


def test_killed_by_a_signal_exits_128_plus_n(run_env: dict[str, str], store_path: Path) -> None:
    result = proc(run_env, "run", "job", "--", "sh", "-c", "kill -KILL $$")
    assert result.returncode == 128 + signal.SIGKILL
    rec = only_record(store_path)
    assert_stopped(rec)
    assert "exit_code" in rec and rec["exit_code"] is None
    assert rec["signal"] == "SIGKILL"


# -- timeout ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["1s", "1"])
def test_timeout_terminates_the_command_and_exits_124(
    run_env: dict[str, str], store_path: Path, spec: str
) -> None:
    start = time.monotonic()
    result = proc(run_env, "run", "job", "--timeout", spec, "--", "sleep", "30")
    elapsed = time.monotonic() - start
    assert result.returncode == 124
    assert 0.9 <= elapsed < 15, elapsed
    assert "timed out" in err(result)
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] is None
    assert rec["signal"] == "SIGTERM"
    assert rec["command"] == ["sleep", "30"]


def test_timeout_kills_a_command_that_ignores_sigterm(
    run_env: dict[str, str], store_path: Path
) -> None:
    # The ignored disposition survives the exec, so sleep itself ignores SIGTERM.
    # PROC_RUN_GRACE shortens the grace period between SIGTERM and SIGKILL.
    grace = 2.0
    start = time.monotonic()
    result = proc(
        {**run_env, "PROC_RUN_GRACE": str(grace)},
        "run",
        "job",
        "--timeout",
        "1s",
        "--",
        "sh",
        "-c",
        'trap "" TERM; exec sleep 60',
        timeout=60,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 124
    assert 1 + grace - 0.5 <= elapsed < 1 + grace + 15, elapsed
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] is None
    assert rec["signal"] == "SIGKILL"


def test_timeout_zero_means_no_timeout(run_env: dict[str, str], store_path: Path) -> None:
    # As timeout(1): --timeout 0 does not stop the command.
    result = proc(run_env, "run", "job", "--timeout", "0", "--", "sh", "-c", "sleep 1; exit 4")
    assert result.returncode == 4
    rec = only_record(store_path)
    assert rec["exit_code"] == 4
    assert "timed_out" not in rec


def test_grace_defaults_to_ten_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from processes.runner import DEFAULT_GRACE, grace_from_env

    monkeypatch.delenv("PROC_RUN_GRACE", raising=False)
    assert grace_from_env() == DEFAULT_GRACE == 10.0
    monkeypatch.setenv("PROC_RUN_GRACE", "0.5")
    assert grace_from_env() == 0.5
    monkeypatch.setenv("PROC_RUN_GRACE", "soon")
    assert grace_from_env() == DEFAULT_GRACE


@pytest.mark.parametrize("spec", ["2", "1m", "1h30m"])
def test_timeout_forms_are_accepted(run_env: dict[str, str], store_path: Path, spec: str) -> None:
    result = proc(run_env, "run", "job", "--timeout", spec, "--", "sh", "-c", "exit 6")
    assert result.returncode == 6, err(result)
    rec = only_record(store_path)
    assert rec["exit_code"] == 6
    assert "signal" not in rec


@pytest.mark.parametrize("spec", ["soon", "-5s", "1x", ""])
def test_bad_timeout_is_a_usage_error_and_runs_nothing(
    run_env: dict[str, str], store_path: Path, tmp_path: Path, spec: str
) -> None:
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", f"--timeout={spec}", "--", "touch", str(marker))
    assert result.returncode == 2
    assert "proc: error" in err(result)
    assert not marker.exists()
    assert records(store_path) == {}


# -- signals sent to proc run -----------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_are_forwarded_to_the_command(
    run_env: dict[str, str], store_path: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    child = script(tmp_path, "child.py", SIGNAL_CHILD)
    got, ready = tmp_path / "got", tmp_path / "ready"
    runner = subprocess.Popen(
        [str(PROC), "run", "job", "--", PY, str(child), str(got), str(ready)],
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(ready)
        runner.send_signal(sig)
        out, error = runner.communicate(timeout=15)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert got.read_text() == sig.name
    expected = {"SIGINT": 21, "SIGTERM": 22, "SIGHUP": 23}[sig.name]
    assert runner.returncode == expected, error.decode()
    assert b"Traceback" not in error
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] == expected
    assert "signal" not in rec


def test_forwarded_signal_that_kills_the_command(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    child = script(tmp_path, "plain.py", PLAIN_CHILD)
    ready = tmp_path / "ready"
    runner = subprocess.Popen(
        [str(PROC), "run", "job", "--", PY, str(child), str(ready)],
        env=run_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(ready)
        runner.send_signal(signal.SIGTERM)
        _, error = runner.communicate(timeout=15)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == 128 + signal.SIGTERM, error.decode()
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] is None
    assert rec["signal"] == "SIGTERM"


def test_signal_right_after_the_start_is_recorded(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    # A signal that arrives as soon as the start is in the store, while the
    # command is still being spawned, must not leave the record running.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP) * 3:
        store_path.unlink(missing_ok=True)
        log = tmp_path / "stderr.txt"
        with log.open("wb") as stderr:
            runner = subprocess.Popen(
                [str(PROC), "run", "job", "--", "sleep", "30"],
                env=run_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            deadline = time.monotonic() + 15
            while not records(store_path):
                assert time.monotonic() < deadline, "the start was not recorded"
            runner.send_signal(sig)
            runner.wait(timeout=15)
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait()
        assert runner.returncode == 128 + sig, (sig.name, log.read_text())
        assert "Traceback" not in log.read_text()
        rec = only_record(store_path)
        assert_stopped(rec)
        assert rec["exit_code"] is None
        assert rec["signal"] == sig.name


# -- the command's environment ----------------------------------------------------------


def test_command_sees_proc_uid_and_proc_store(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "env.txt"
    result = proc(
        run_env,
        "run",
        "job",
        "--",
        "sh",
        "-c",
        f'printf "%s\\n%s\\n" "$PROC_UID" "$PROC_STORE" > "{out}"',
    )
    assert result.returncode == 0, err(result)
    uid, store = out.read_text().splitlines()
    assert uid == only_record(store_path)["uid"]
    assert store == str(store_path)


def test_proc_store_follows_the_store_option(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    # --store wins over $PROC_STORE; the command gets it as an absolute path, so a
    # proc run inside it reaches the same store even from another directory.
    other = tmp_path / "other" / "rel.json"
    other.parent.mkdir()
    result = proc(
        run_env,
        "--store",
        "other/rel.json",
        "run",
        "job",
        "--",
        "sh",
        "-c",
        'cd / && printf %s "$PROC_STORE" && proc pause "$PROC_UID" >/dev/null',
        cwd=tmp_path,
    )
    assert result.returncode == 0, err(result)
    assert result.stdout.decode() == str(other)
    assert records(store_path) == {}
    rec = only_record(other)
    assert len(rec["timeline"]["disruptions"]) == 1


def test_command_can_pause_and_resume_its_own_run(
    run_env: dict[str, str], store_path: Path
) -> None:
    result = proc(
        run_env,
        "run",
        "job",
        "--",
        "sh",
        "-c",
        'proc pause "$PROC_UID" && sleep 1 && proc resume "$PROC_UID"',
    )
    assert result.returncode == 0, err(result)
    rec = only_record(store_path)
    assert_stopped(rec)
    assert rec["exit_code"] == 0
    tl = rec["timeline"]
    assert len(tl["disruptions"]) == 1
    ((kind, pause),) = tl["disruptions"][0].items()
    assert kind == "pause"
    assert pause["terminated"] != -1
    assert tl["initialized"] <= pause["initialized"] < pause["terminated"] <= tl["terminated"]


def test_pause_left_open_by_the_command_is_closed_at_the_end(
    run_env: dict[str, str], store_path: Path
) -> None:
    result = proc(run_env, "run", "job", "--", "sh", "-c", 'proc pause "$PROC_UID"')
    assert result.returncode == 0, err(result)
    rec = only_record(store_path)
    assert_stopped(rec)
    ((_, pause),) = rec["timeline"]["disruptions"][0].items()
    assert pause["terminated"] == rec["timeline"]["terminated"]


# -- overlap guard, layers --------------------------------------------------------------


def test_skip_if_running_with_an_active_process(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    active = proc(run_env, "start", "job")
    assert active.returncode == 0
    uid = active.stdout.decode().strip()
    before = records(store_path)
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", "--skip-if-running", "--", "touch", str(marker))
    assert result.returncode == 1
    assert "active" in err(result) and uid in err(result)
    assert result.stdout == b""
    assert not marker.exists()
    assert records(store_path) == before


def test_skip_if_running_with_a_paused_process(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    assert proc(run_env, "start", "job").returncode == 0
    assert proc(run_env, "pause", "job").returncode == 0
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", "--skip-if-running", "--", "touch", str(marker))
    assert result.returncode == 1
    assert not marker.exists()


def test_skip_if_running_without_an_active_process(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    # A stopped process of the name and an active one of another name do not count.
    assert proc(run_env, "start", "job").returncode == 0
    assert proc(run_env, "stop", "job").returncode == 0
    assert proc(run_env, "start", "other").returncode == 0
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", "--skip-if-running", "--", "touch", str(marker))
    assert result.returncode == 0, err(result)
    assert marker.exists()
    runs = [r for r in records(store_path).values() if "command" in r]
    assert len(runs) == 1
    assert_stopped(runs[0])


def test_without_skip_if_running_a_second_run_goes_ahead(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    assert proc(run_env, "start", "job").returncode == 0
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", "--", "touch", str(marker))
    assert result.returncode == 0, err(result)
    assert marker.exists()


def test_layer_and_switch(run_env: dict[str, str], store_path: Path, tmp_path: Path) -> None:
    assert proc(run_env, "start", "first", "--layer", "1").returncode == 0
    marker = tmp_path / "ran"
    busy = proc(run_env, "run", "second", "--layer", "1", "--", "touch", str(marker))
    assert busy.returncode == 1
    assert "busy" in err(busy)
    assert not marker.exists()
    result = proc(run_env, "run", "second", "-l", "1", "--switch", "--", "touch", str(marker))
    assert result.returncode == 0, err(result)
    assert marker.exists()
    first, second = only_record(store_path, "first"), only_record(store_path, "second")
    assert second["uid"].startswith("1-")
    assert_stopped(first)
    assert_stopped(second)
    assert first["timeline"]["terminated"] <= second["timeline"]["initialized"]


# -- stdin, stdout and stderr -----------------------------------------------------------


def test_output_is_passed_through_byte_for_byte(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    child = script(tmp_path, "binary.py", BINARY_CHILD)
    result = proc(run_env, "run", "job", "--", PY, str(child))
    assert result.returncode == 0
    assert result.stdout == OUT_BYTES
    assert result.stderr == ERR_BYTES


def test_stdin_is_passed_through_byte_for_byte(run_env: dict[str, str], store_path: Path) -> None:
    data = bytes(range(256)) * 64 + b"\xc3\x28 no final newline \xff"
    result = proc(run_env, "run", "job", "--", "cat", input=data)
    assert result.returncode == 0, err(result)
    assert result.stdout == data
    assert result.stderr == b""
    assert only_record(store_path)["command"] == ["cat"]


# -- --json -----------------------------------------------------------------------------


def test_json_prints_the_finished_record_after_the_output(
    run_env: dict[str, str], store_path: Path
) -> None:
    result = proc(run_env, "run", "job", "--json", "--", "sh", "-c", "echo hello; exit 4")
    assert result.returncode == 4
    head = b"hello\n"
    assert result.stdout.startswith(head)
    rec = json.loads(result.stdout[len(head) :])
    assert rec["state"] == "stopped"
    assert rec["exit_code"] == 4
    assert rec["command"] == ["sh", "-c", "echo hello; exit 4"]
    stored = only_record(store_path)
    assert rec["uid"] == stored["uid"]
    assert rec["timeline"] == stored["timeline"]


def test_json_after_a_signal(run_env: dict[str, str], store_path: Path) -> None:
    result = proc(run_env, "run", "job", "--json", "--", "sh", "-c", "kill -KILL $$")
    assert result.returncode == 137
    rec = json.loads(result.stdout)
    assert rec["state"] == "stopped"
    assert rec["exit_code"] is None
    assert rec["signal"] == "SIGKILL"


# -- the store --------------------------------------------------------------------------


def test_new_keys_survive_later_rewrites(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    assert proc(run_env, "run", "ok", "--", "true").returncode == 0
    assert proc(run_env, "run", "killed", "--", "sh", "-c", "kill -TERM $$").returncode == 143
    runs = records(store_path)
    assert {r["name"] for r in runs.values()} == {"ok", "killed"}
    doomed = proc(run_env, "start", "doomed").stdout.decode().strip()
    steps = [
        ["start", "other"],
        ["pause", "other"],
        ["resume", "other"],
        ["link", "a", "b"],
        ["unlink", "a", "b"],
        ["rm", "--yes", doomed],
        ["stop", "other"],
        ["start", "again"],
        ["undo"],
    ]
    for step in steps:
        result = proc(run_env, *step)
        assert result.returncode == 0, (step, err(result))
    after = records(store_path)
    for uid, rec in runs.items():
        assert after[uid] == rec
    assert proc(run_env, "check").returncode == 0
    # An export and an import into another store keep them too.
    exported = tmp_path / "export.json"
    assert proc(run_env, "export", "-o", str(exported)).returncode == 0
    fresh = tmp_path / "fresh.json"
    assert proc(run_env, "--store", str(fresh), "import", str(exported)).returncode == 0
    imported = records(fresh)
    for uid, rec in runs.items():
        assert imported[uid] == rec


def test_store_that_cannot_be_created_runs_nothing(run_env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    marker = tmp_path / "ran"
    result = proc(
        run_env,
        "--store",
        str(blocker / "store.json"),
        "run",
        "job",
        "--",
        "touch",
        str(marker),
    )
    assert result.returncode == 3
    assert "proc: error" in err(result)
    assert not marker.exists()
    assert blocker.read_text() == "not a directory"


def test_corrupt_store_runs_nothing(
    run_env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    store_path.write_bytes(b"{ garbage")
    marker = tmp_path / "ran"
    result = proc(run_env, "run", "job", "--", "touch", str(marker))
    assert result.returncode == 3
    assert str(store_path) in err(result)
    assert not marker.exists()
    assert store_path.read_bytes() == b"{ garbage"


def test_store_that_cannot_be_written_at_the_end(run_env: dict[str, str], store_path: Path) -> None:
    result = proc(
        run_env,
        "run",
        "job",
        "--",
        "sh",
        "-c",
        'echo out; printf garbage > "$PROC_STORE"; exit 5',
    )
    assert result.returncode == 5
    assert result.stdout == b"out\n"
    message = err(result)
    assert "recorded" in message and str(store_path) in message
    assert store_path.read_bytes() == b"garbage"


def test_store_failure_at_the_end_keeps_a_zero_status(
    run_env: dict[str, str], store_path: Path
) -> None:
    result = proc(run_env, "run", "job", "--json", "--", "sh", "-c", 'rm -f "$PROC_STORE"*')
    # The record is gone, so the end cannot be recorded; the command's 0 stays.
    assert result.returncode == 0
    assert "recorded" in err(result)
