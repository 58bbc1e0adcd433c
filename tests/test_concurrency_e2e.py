"""Concurrency, end to end: many installed ``proc`` commands against one store at once.

Each batch of commands is released together: every command is started behind a
tiny barrier (a Python process that waits for a "go" file, then ``exec``s the
installed ``proc``), so all of them are running when the store is first
touched. Every command must exit 0 and every change must be in the store; readers
running during the writes must always parse.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from processes import Store, tracker

PROC = Path(sys.executable).with_name("proc")
UID_LINE = re.compile(r"^\d+-[0-9a-f]{4,}\n$")
N = 50

BARRIER = r"""
import os, sys, time
ready, go = sys.argv[1], sys.argv[2]
open(ready, "w").close()
deadline = time.monotonic() + 120
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("barrier: no go")
    time.sleep(0.002)
os.execv(sys.argv[3], sys.argv[3:])
"""


class Batch:
    """Commands started together behind one barrier."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.procs: list[tuple[list[str], subprocess.Popen[bytes]]] = []
        workdir.mkdir()

    def add(self, *args: str) -> None:
        assert PROC.exists(), f"the installed console script is missing: {PROC}"
        ready = self.workdir / f"ready-{len(self.procs)}"
        popen = subprocess.Popen(
            [sys.executable, "-S", "-c", BARRIER, str(ready), str(self.workdir / "go"),
             str(PROC), *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        self.procs.append((list(args), popen))

    def release(self) -> None:
        """Wait until every command stands at the barrier, then let them all go."""
        deadline = time.monotonic() + 60
        while len(list(self.workdir.glob("ready-*"))) < len(self.procs):
            assert time.monotonic() < deadline, "the batch did not get ready"
            time.sleep(0.01)
        (self.workdir / "go").touch()

    def results(self) -> list[tuple[list[str], int, str, str]]:
        out = []
        for args, popen in self.procs:
            stdout, stderr = popen.communicate(timeout=180)
            out.append((args, popen.returncode, stdout.decode(), stderr.decode()))
        return out

    def run(self) -> list[tuple[list[str], int, str, str]]:
        self.release()
        results = self.results()
        for args, code, _stdout, stderr in results:
            assert code == 0, f"proc {args}: exit {code}: {stderr}"
            assert "Traceback" not in stderr
        return results


def concurrent_env(env: dict[str, str]) -> dict[str, str]:
    # Fifty writers queue for one lock; on a slow machine the last may wait long.
    # The lock timeout is not what these tests are about.
    return dict(env, PROC_LOCK_TIMEOUT="120")


def load(path: Path) -> Any:
    """The store decoded and validated in full (not trusted by its stamp)."""
    return Store(path).decode(path.read_bytes())


def records(path: Path) -> dict[str, Any]:
    procs: dict[str, Any] = load(path).processes
    return procs


def open_types(tl: dict[str, Any]) -> list[str]:
    """The types of the open disruption chain, outermost first."""
    chain = []
    while True:
        opened = [
            (kind, sub)
            for item in tl.get("disruptions", [])
            for kind, sub in item.items()
            if sub["terminated"] == -1
        ]
        if not opened:
            return chain
        [(kind, tl)] = opened
        chain.append(kind)


def test_fifty_starts_then_fifty_stops_then_fifty_mixed(
    env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    env = concurrent_env(env)

    # 1. Fifty starts at once: half on layer 0, half each on a layer of its own.
    batch = Batch(tmp_path / "starts", env)
    layers = {f"job{i}": (0 if i % 2 else i + 1) for i in range(N)}
    for name, layer in layers.items():
        batch.add("start", name, "--layer", str(layer))
    uid_of: dict[str, str] = {}
    for args, _, stdout, stderr in batch.run():
        assert UID_LINE.match(stdout), (args, stdout)
        uid_of[args[1]] = stdout.strip()
        assert f"started {args[1]} ({uid_of[args[1]]})" in stderr
    assert len(set(uid_of.values())) == N
    procs = records(store_path)
    assert set(procs) == set(uid_of.values())
    for name, uid in uid_of.items():
        assert procs[uid]["name"] == name
        assert uid.startswith(f"{layers[name]}-")
        assert procs[uid]["timeline"]["terminated"] == -1

    # 2. Fifty stops at once, each by its UID.
    batch = Batch(tmp_path / "stops", env)
    for uid in uid_of.values():
        batch.add("stop", uid)
    for args, _, stdout, _ in batch.run():
        assert stdout == args[1] + "\n"
    procs = records(store_path)
    assert set(procs) == set(uid_of.values())
    for uid, rec in procs.items():
        tl = rec["timeline"]
        assert tl["terminated"] >= tl["initialized"], uid

    # 3. Fifty mixed commands at once: 17 pauses of running processes, 17
    #    resumes of paused ones, 16 links that all add to the same mindmap node.
    store = Store(store_path)
    running = [tracker.start(store, f"run{k}").record["uid"] for k in range(17)]
    paused = [tracker.start(store, f"held{k}").record["uid"] for k in range(17)]
    for uid in paused:
        tracker.pause(store, uid, "held")
    before = records(store_path)
    commands = (
        [["pause", uid, "--type", f"t{k}"] for k, uid in enumerate(running)]
        + [["resume", uid] for uid in paused]
        + [["link", "hub", f"n{k}"] for k in range(16)]
    )
    assert len(commands) == N
    random.Random(4).shuffle(commands)
    batch = Batch(tmp_path / "mixed", env)
    for args in commands:
        batch.add(*args)
    for args, _, stdout, _ in batch.run():
        assert stdout == ("" if args[0] == "link" else args[1] + "\n"), (args, stdout)

    doc = load(store_path)
    procs = doc.processes
    assert set(procs) == set(before)
    for k, uid in enumerate(running):
        assert open_types(procs[uid]["timeline"]) == [f"t{k}"], procs[uid]
    for uid in paused:
        tl = procs[uid]["timeline"]
        assert open_types(tl) == [], procs[uid]
        [item] = tl["disruptions"]
        assert list(item) == ["held"]
        assert item["held"]["terminated"] >= item["held"]["initialized"]
    # Every other record is exactly as it was.
    for uid in uid_of.values():
        assert procs[uid] == before[uid]
    mindmap = doc.mindmap
    assert sorted(mindmap["hub"]) == sorted(f"n{k}" for k in range(16))
    assert all(mindmap[f"n{k}"] == [] for k in range(16))
    assert [n for n in os.listdir(store_path.parent) if n.endswith(".tmp")] == []


def _seed(path: Path, count: int) -> dict[str, Any]:
    procs = {}
    for i in range(count):
        uid = f"2-{i:04x}"
        procs[uid] = {
            "name": f"old {i}",
            "uid": uid,
            "timeline": {
                "initialized": 1_700_000_000 + i,
                "terminated": 1_700_000_100 + i,
                "disruptions": [
                    {"pause": {"initialized": 1_700_000_010 + i, "terminated": 1_700_000_020 + i}}
                ],
            },
        }
    path.write_text(json.dumps({"processes": procs}, indent=2), encoding="utf-8")
    return procs


def test_readers_during_writes_always_parse(
    env: dict[str, str], store_path: Path, tmp_path: Path
) -> None:
    seeded = 3000  # big enough that every write takes a while
    old = _seed(store_path, seeded)
    env = concurrent_env(env)
    writers = Batch(tmp_path / "writers", env)
    for i in range(N):
        writers.add("start", f"w{i}")
    writers.release()

    done = threading.Event()
    seen: list[list[int]] = []
    failures: list[str] = []

    def read_until_done(counts: list[int]) -> None:
        while True:
            last = done.is_set()  # one more read after the writers finished
            res = subprocess.run(
                [str(PROC), "ls", "--json"],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=60,
            )
            try:
                assert res.returncode == 0, res.stderr
                assert b"Traceback" not in res.stderr
                data = json.loads(res.stdout)  # parses: never half a file
                assert isinstance(data, list)
                uids = {r["uid"] for r in data}
                assert uids >= set(old)  # the old records are always all there
                counts.append(len(data))
            except (AssertionError, ValueError) as exc:
                failures.append(f"{exc!r}: stdout {res.stdout[:200]!r}")
                return
            if last:
                return

    threads = []
    for _ in range(3):
        counts: list[int] = []
        seen.append(counts)
        threads.append(threading.Thread(target=read_until_done, args=(counts,)))
    for t in threads:
        t.start()
    try:
        results = writers.results()
    finally:
        done.set()
        for t in threads:
            t.join(timeout=120)
    for args, code, stdout, stderr in results:
        assert code == 0, f"proc {args}: exit {code}: {stderr}"
        assert UID_LINE.match(stdout)
    assert failures == []
    reads = [n for counts in seen for n in counts]
    assert len(reads) >= 6
    # Each reader saw the store grow, never shrink, from the seed to every write.
    for counts in seen:
        assert counts == sorted(counts)
        assert all(seeded <= n <= seeded + N for n in counts)
        assert counts[-1] == seeded + N
    # The reads overlapped the writes: some saw a state between the first and last.
    assert any(seeded < n < seeded + N for n in reads), reads
    assert len(records(store_path)) == seeded + N
