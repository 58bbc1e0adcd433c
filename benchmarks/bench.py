"""Start-up and history-size benchmark for ``proc``.

    python benchmarks/bench.py                 # 1,000 / 10,000 / 100,000 records
    python benchmarks/bench.py --million       # also 1,000,000 records (slow)
    python benchmarks/bench.py --tiny          # seconds: proves the benchmark runs (CI)

For each store size it generates a store deterministically (about a third of the
records with one to three disruptions, some nested), then runs every measured
command as a fresh process, interleaved with ``python -c pass`` in the same
round, ``--repeat`` times (at least 9 for real figures). It prints the median
wall time, the ratio of that median to the median of ``python -c pass``, and the
peak RSS of the command's process. Ratios, not milliseconds, are what we
compare: this kind of machine is noisy. Targets (issue 5) are checked and shown.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
PROC = str(Path(sys.executable).with_name("proc"))
BASE = 1_000_000_000  # 2001: even 1,000,000 records end well before today

# (size, command) -> highest accepted ratio to `python -c pass`; RSS limits in MiB.
RATIO_TARGETS = {
    (1_000, "start"): 6.0,
    (1_000, "stop"): 6.0,
    (1_000, "ls --json"): 6.0,
    (100_000, "start"): 15.0,
    (100_000, "stop"): 15.0,
    (100_000, "ls --json"): 40.0,
}
RSS_TARGETS = {(100_000, "start"): 150.0, (100_000, "stop"): 150.0}


def make_store(path: Path, size: int, seed: int = 42) -> list[str]:
    """Write a store of ``size`` records; returns a few UIDs of stopped records."""
    rng = random.Random(seed)
    procs: dict[str, dict[str, object]] = {}
    names = [f"job-{i}" for i in range(200)]
    t = BASE
    for i in range(size):
        layer = rng.choice((0, 0, 0, 1, 2, 3))
        uid = f"{layer}-{i:08x}"
        start = t
        length = rng.randint(30, 600)
        end = start + length
        disruptions: list[dict[str, object]] = []
        if rng.random() < 1 / 3:
            cursor = start + 1
            for _ in range(rng.randint(1, 3)):
                a = rng.randint(cursor, max(cursor, end - 20))
                b = min(end, a + rng.randint(1, 300))
                inner: list[dict[str, object]] = []
                if rng.random() < 0.25 and b - a > 4:
                    inner.append({"call": {"initialized": a + 1, "terminated": b - 1}})
                disruptions.append(
                    {"pause": {"initialized": a, "terminated": b, "disruptions": inner}}
                )
                cursor = b
                if cursor >= end - 20:
                    break
        procs[uid] = {
            "name": rng.choice(names),
            "uid": uid,
            "timeline": {"initialized": start, "terminated": end, "disruptions": disruptions},
        }
        t = end + rng.randint(0, 60)
    # A few active processes on layer 0, so that status has something to show
    # (the last one is stopped by the warm-up).
    for j in range(3):
        uid = f"0-a{j:07x}"
        procs[uid] = {
            "name": f"active-{j}",
            "uid": uid,
            "timeline": {"initialized": t + j, "terminated": -1, "disruptions": []},
        }
    data = json.dumps({"processes": procs, "mindmap": {"job-1": ["job-2"]}}, indent=2)
    path.write_text(data + "\n", encoding="utf-8")
    return [*list(procs)[:5], f"0-a{2:07x}"]


def run_once(
    argv: list[str], env: dict[str, str], keep: bool = False
) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MiB, exit status, stdout if ``keep``) of one fresh process.

    Output not kept goes to /dev/null: reading a large output here would grow
    this process, and children would then be measured bigger than they are.
    """
    t0 = time.perf_counter()
    child = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE if keep else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    out = child.stdout.read() if child.stdout else b""
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.stdout:
        child.stdout.close()
    return elapsed, usage.ru_maxrss / 1024.0, child.returncode, out.decode("utf-8", "replace")


def bench_size(size: int, repeat: int, workdir: Path) -> list[dict[str, object]]:
    store = workdir / f"store-{size}.json"
    t0 = time.perf_counter()
    # In a child process, so that this process stays small: a child forked from a
    # big parent would report the parent's memory as its own peak RSS.
    made = subprocess.run(
        [PY, __file__, "--make-store", str(store), str(size)],
        check=True,
        capture_output=True,
        text=True,
    )
    uids = made.stdout.split()
    gen = time.perf_counter() - t0
    mib = store.stat().st_size / 2**20
    print(f"# {size:,} records: {mib:.1f} MiB, generated in {gen:.1f} s", file=sys.stderr)
    env = dict(os.environ, PROC_STORE=str(store), PROC_LOCK_TIMEOUT="60")
    env.pop("NO_COLOR", None)
    complete_env = dict(
        env, _PROC_COMPLETE="complete_bash", COMP_WORDS="proc stop ", COMP_CWORD="2"
    )
    samples: dict[str, list[tuple[float, float]]] = {}
    # A generated file is not one proc wrote, so the first command validates it
    # in full and rewrites it in proc's layout; `check` below measures that cost.
    warm = run_once([PROC, "-q", "stop", uids[-1]], env)
    if warm[2] != 0:
        raise SystemExit(f"warm-up stop failed with {warm[2]}")

    def measure(label: str, argv: list[str], e: dict[str, str] = env) -> str:
        secs, rss, code, out = run_once(argv, e, keep=label == "start")
        if code not in (0, 1) or (code == 1 and label != "status"):
            raise SystemExit(f"{label} failed with exit status {code}: {argv}")
        samples.setdefault(label, []).append((secs, rss))
        return out

    for _ in range(repeat):
        measure("python -c pass", [PY, "-c", "pass"])
        uid = measure("start", [PROC, "-q", "start", "bench"]).strip()
        p1 = run_once([PROC, "-q", "pause", uid], env)
        p2 = run_once([PROC, "-q", "resume", uid], env)
        if p1[2] or p2[2]:
            raise SystemExit("pause/resume failed")
        samples.setdefault("pause+resume", []).append((p1[0] + p2[0], max(p1[1], p2[1])))
        measure("stop", [PROC, "-q", "stop", uid])
        measure("python -c pass", [PY, "-c", "pass"])
        measure("ls --json", [PROC, "ls", "--json"])
        measure("status", [PROC, "status"])
        measure("show --json", [PROC, "show", uids[0], "--json"])
        measure("--help", [PROC, "--help"])
        measure("completion", [PROC], complete_env)
        measure("check", [PROC, "check"])

    base = statistics.median(s for s, _ in samples["python -c pass"])
    rows = []
    for label, vals in samples.items():
        med = statistics.median(s for s, _ in vals)
        rss = max(r for _, r in vals)
        ratio = med / base
        target = RATIO_TARGETS.get((size, label))
        rss_target = RSS_TARGETS.get((size, label))
        ok = (target is None or ratio <= target) and (rss_target is None or rss <= rss_target)
        rows.append(
            {
                "size": size,
                "command": label,
                "median_ms": round(med * 1000, 1),
                "ratio": round(ratio, 2),
                "peak_rss_mib": round(rss, 1),
                "target": (f"<= {target:g}x" if target else "")
                + (f", <= {rss_target:g} MiB" if rss_target else ""),
                "meets": "yes" if ok else "NO",
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 records")
    parser.add_argument("--repeat", type=int, default=9, help="runs per command (default 9)")
    parser.add_argument("--tiny", action="store_true", help="sizes 10 and 100, 2 runs: for CI")
    parser.add_argument("--json-out", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--make-store", nargs=2, metavar=("PATH", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_store:
        print("\n".join(make_store(Path(args.make_store[0]), int(args.make_store[1]))))
        return 0
    sizes = list(args.sizes)
    repeat = args.repeat
    if args.tiny:
        sizes, repeat = [10, 100], 2
    if args.million:
        sizes.append(1_000_000)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="proc-bench-") as tmp:
        for size in sizes:
            rows.extend(bench_size(size, repeat, Path(tmp)))
    header = f"{'records':>9}  {'command':<15} {'median':>9} {'ratio':>7} {'peak RSS':>9}  target"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['size']:>9,}  {r['command']:<15} {r['median_ms']:>7} ms {r['ratio']:>6}x "
            f"{r['peak_rss_mib']:>5} MiB  {r['target']} {'' if not r['target'] else r['meets']}"
        )
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} CPUs, repeat={repeat}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
