"""Many OS processes writing one store at once lose nothing, and a writer killed at
any instant leaves a store that loads and holds every write it reported done."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from helpers import seed_store

from processes import Store

WORKERS = 32
INCREMENTS = 3

# Each worker waits for the "go" file so that all of them write at the same time,
# then mixes every kind of change the library offers, and reports what it did.
WORKER = r"""
import json, os, sys, time
from processes import Process, Store, TimeStamp

path, go, wid = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no go")
    time.sleep(0.005)

procs = [Process(f"w{wid}-{k}", 0, 1000 * wid + k, -1) for k in range(6)]
for p in procs[:3]:
    p.write(path)
out = {"kept": {}, "removed": [], "increments": 0}

def bump():
    with Store(path).transaction() as doc:
        doc.data["counter"] = doc.data.get("counter", 0) + 1
        doc.mindmap.setdefault(f"w{wid}", []).append("hub")
        doc.touch()
    out["increments"] += 1

bump()
Process.storeAll(path)  # the other three, and the first three again
bump()
for p in procs[4:]:
    assert Process.remove(p.uid, path) is True
    out["removed"].append(p.name)
procs[0].add_disruption("pause", TimeStamp(1000 * wid + 1, 1000 * wid + 2))
procs[0].write(path)
with Store(path).transaction() as doc:
    uid = f"0-{wid:04x}ff"
    doc.put({"name": f"w{wid}-direct", "uid": uid,
             "timeline": {"initialized": 1, "terminated": 2}})
out["kept"][f"0-{wid:04x}ff"] = f"w{wid}-direct"
bump()
for p in procs[:4]:
    out["kept"][p.uid] = p.name
print(json.dumps(out), flush=True)
"""


def test_parallel_writers_lose_nothing(store_path: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = dict(os.environ, PROC_LOCK_TIMEOUT="120")
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(store_path), str(go), str(wid)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for wid in range(WORKERS)
    ]
    time.sleep(0.5)  # let them start up and wait
    go.touch()
    reports: list[dict[str, Any]] = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))

    doc = Store(store_path).read()
    procs = doc.processes
    expected_names: dict[str, str] = {}
    removed_names: set[str] = set()
    for report in reports:
        expected_names.update(report["kept"])
        removed_names.update(report["removed"])
    assert len(expected_names) == WORKERS * 5
    # Every record a worker kept is there, under the UID it reported.
    for uid, name in expected_names.items():
        assert uid in procs, f"lost {name} ({uid})"
        assert procs[uid]["name"] == name
    # Nothing else is there: no removed record, no duplicate.
    assert len(procs) == len(expected_names)
    assert not removed_names & {rec["name"] for rec in procs.values()}
    # The changes made on the first processes' records by later writes are there too.
    for wid in range(WORKERS):
        first = next(rec for rec in procs.values() if rec["name"] == f"w{wid}-0")
        kinds = [k for item in first["timeline"]["disruptions"] for k in item]
        assert kinds == ["pause"]
    # No read-modify-write was lost.
    assert doc.data["counter"] == WORKERS * INCREMENTS
    assert sum(r["increments"] for r in reports) == WORKERS * INCREMENTS
    assert doc.mindmap == {f"w{wid}": ["hub"] * INCREMENTS for wid in range(WORKERS)}
    assert [n for n in os.listdir(store_path.parent) if n.endswith(".tmp")] == []


CRASH_WRITER = r"""
import sys
from processes import Process

path, tag = sys.argv[1], sys.argv[2]
print("ready", flush=True)
i = 0
while True:
    p = Process(f"{tag}-{i}", 0, i, i + 1)
    p.write(path)
    print(p.uid, p.name, flush=True)  # only once write() returned
    i += 1
"""


def test_a_writer_killed_at_any_moment_leaves_a_whole_store(store_path: Path) -> None:
    old = seed_store(store_path, 3000)
    rng = random.Random(20261204)
    committed: dict[str, str] = {}
    env = dict(os.environ, PROC_LOCK_TIMEOUT="30")
    rounds = 30
    cut_mid_write = 0
    started = time.monotonic()
    for round_no in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", CRASH_WRITER, str(store_path), f"r{round_no}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        if round_no % 2:
            time.sleep(rng.uniform(0.0, 0.4))  # a random moment
        else:
            # Aimed: as soon as a temp file exists, i.e. in the middle of a write.
            # Writes are quick, so random moments alone rarely land there.
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and not any(
                n.endswith(".tmp") for n in os.listdir(store_path.parent)
            ):
                pass
        os.kill(writer.pid, signal.SIGKILL)
        out, err = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, err
        # Only whole lines count: the kill may cut the last one.
        for line in out.decode().splitlines(keepends=True):
            if line.endswith("\n"):
                uid, name = line.split()
                committed[uid] = name

        if any(n.endswith(".tmp") for n in os.listdir(store_path.parent)):
            cut_mid_write += 1  # the writer died between its temp file and the rename
        doc = Store(store_path).read()  # loads and validates, whatever was cut off
        procs = doc.processes
        for uid, name in committed.items():
            assert uid in procs, f"round {round_no}: lost {name} ({uid})"
            assert procs[uid]["name"] == name
        for uid, rec in old.items():
            assert procs[uid] == rec
        prev = Path(str(store_path) + ".prev")
        if prev.exists():
            Store(prev).read()  # the previous version is a whole store too
    elapsed = time.monotonic() - started
    # The kills landed while writers were busy: many writes completed, and some
    # writers died in the middle of one (about a fifth of the rounds, as measured).
    assert len(committed) > rounds
    assert cut_mid_write >= 1
    assert elapsed < 120

    # The next write cleans up whatever temp files the killed writers left.
    from processes import Process

    Process("after", 0, 1, 2).write(store_path)
    assert [n for n in os.listdir(store_path.parent) if n.endswith(".tmp")] == []
    assert len(Store(store_path).read().processes) >= len(old) + len(committed) + 1
