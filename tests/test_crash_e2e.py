"""Crashes, end to end: the installed ``proc`` killed with SIGKILL at random moments.

The store holds 20,000 records, so every write (read, decode, validate, encode,
write, fsync, rename) takes long enough for a kill to land in any part of it.
Each round starts one writer and kills it after a seeded-random wait: in even
rounds anywhere between zero and a little more than one command's duration; in
odd rounds at once or a few milliseconds after its temp file appeared, so that
many kills land in the middle of writing the new file. After every kill:

* the store loads (it is whole and valid);
* no committed change is lost: every command that exited 0 before the round
  started is in the store (the 20,000 seeded records, every completed start,
  stop and link);
* anything left next to the store is a temp file of the killed writer, and the
  next command removes it.
"""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path

from helpers import PROC, UID_LINE, seed_store

from processes import Store

RECORDS = 20_000
ROUNDS = 100  # kills; never fewer than 100


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [str(PROC), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, f"proc {args}: exit {res.returncode}: {res.stderr}"
    assert "Traceback" not in res.stderr
    return res


def test_sigkill_at_random_moments_never_loses_a_committed_change(
    env: dict[str, str], store_path: Path
) -> None:
    assert ROUNDS >= 100
    assert PROC.exists(), f"the installed console script is missing: {PROC}"
    old = seed_store(store_path, RECORDS)
    directory = store_path.parent
    known = {store_path.name, store_path.name + ".lock", store_path.name + ".prev", "home"}
    temp_name = re.compile(r"^" + re.escape("." + store_path.name) + r"\.\d+\.[0-9a-f]{8}\.tmp$")
    env = dict(env, PROC_LOCK_TIMEOUT="60")
    rng = random.Random(20261204)

    started: dict[str, str] = {}  # committed starts: uid -> name
    stopped: set[str] = set()  # committed stops
    linked: set[tuple[str, str]] = set()  # committed links
    stoppable: list[str] = []  # committed starts no stop has been tried on yet

    def commit_start(res: subprocess.CompletedProcess[str], name: str) -> None:
        assert UID_LINE.match(res.stdout), res.stdout
        uid = res.stdout.strip()
        started[uid] = name
        stoppable.append(uid)

    spans: list[float] = []  # how long a whole command takes here, lately

    def timed_start(name: str) -> None:
        t0 = time.monotonic()
        commit_start(run(["start", name], env), name)
        spans.append(time.monotonic() - t0)

    def temp_files() -> list[str]:
        return [n for n in os.listdir(directory) if temp_name.match(n)]

    for k in range(3):
        timed_start(f"calibrate{k}")

    stats: Counter[str] = Counter()
    began = time.monotonic()
    for round_no in range(ROUNDS):
        kind = rng.choice(["start", "start", "stop", "link"] if stoppable else ["start"])
        if kind == "start":
            args = ["start", f"r{round_no}"]
        elif kind == "stop":
            target = stoppable.pop(rng.randrange(len(stoppable)))
            args = ["stop", target]
        else:
            args = ["link", f"src{round_no % 7}", f"node{round_no}"]
        writer = subprocess.Popen(
            [str(PROC), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if round_no % 2 == 0:
            # Anywhere: the kills are spread over the span of a whole command.
            time.sleep(rng.uniform(0.0, 1.25 * statistics.median(spans[-5:])))
        else:
            # In the middle of the write: soon after the temp file appears.
            deadline = time.monotonic() + 60
            while writer.poll() is None and not temp_files() and time.monotonic() < deadline:
                time.sleep(0.0005)
            time.sleep(rng.choice([0.0, rng.uniform(0.0, 0.004)]))
        writer.send_signal(signal.SIGKILL)  # a no-op when it has already exited
        stdout, stderr = writer.communicate(timeout=120)
        assert writer.returncode in (0, -signal.SIGKILL), f"{args}: {writer.returncode} {stderr}"
        assert "Traceback" not in stderr
        if writer.returncode == 0:
            stats["completed"] += 1
            if kind == "start":
                commit_start(subprocess.CompletedProcess(args, 0, stdout, stderr), args[1])
            elif kind == "stop":
                stopped.add(args[1])
            else:
                linked.add((args[1], args[2]))
        else:
            stats["killed"] += 1

        # Only temp files of the killed writer may be left behind.
        left = sorted(set(os.listdir(directory)) - known)
        assert all(temp_name.match(n) for n in left), f"round {round_no}: {left}"

        # The store loads, validated in full, and holds every committed change.
        doc = Store(store_path).decode(store_path.read_bytes())
        procs = doc.processes
        for uid, rec in old.items():
            assert procs.get(uid) == rec, f"round {round_no}: lost or changed seeded {uid}"
        for uid, name in started.items():
            assert uid in procs, f"round {round_no}: lost committed start {name} ({uid})"
            assert procs[uid]["name"] == name
        for uid in stopped:
            assert procs[uid]["timeline"]["terminated"] != -1, f"round {round_no}: {uid}"
        for src, node in linked:
            assert node in doc.mindmap.get(src, []), f"round {round_no}: lost {src} -> {node}"
        if round_no % 10 == 0 and (directory / (store_path.name + ".prev")).exists():
            prev = Path(str(store_path) + ".prev")
            Store(prev).decode(prev.read_bytes())  # the previous version is whole too

        if left:
            # The writer died between its temp file and the rename: the next
            # command removes the leftover (and works: the kernel freed the lock).
            stats["cut mid-write"] += 1
            timed_start(f"next{round_no}")
            assert sorted(set(os.listdir(directory)) - known) == [], f"round {round_no}"

    elapsed = time.monotonic() - began
    print(f"crash rounds: {dict(stats)}; a command took {statistics.median(spans):.3f} s; "
          f"{elapsed:.1f} s in all")  # fmt: skip
    # The rounds did what they claim: most writers died, many in mid-write.
    assert stats["killed"] + stats["completed"] == ROUNDS
    assert stats["killed"] >= ROUNDS // 2, stats
    assert stats["cut mid-write"] >= ROUNDS // 10, stats

    # The next command after the last kill leaves nothing behind either.
    timed_start("last")
    assert sorted(set(os.listdir(directory)) - known) == []
    procs = Store(store_path).decode(store_path.read_bytes()).processes
    assert set(started) <= set(procs)
    assert len(procs) >= RECORDS + len(started)
