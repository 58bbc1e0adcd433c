"""The bodies of the ``proc`` commands, free of any argument parser.

Both the Typer app (:mod:`processes.cli`) and the fast start-up path
(:mod:`processes.entry`) call these, so a command behaves the same whichever
parsed it. Each parses its values, calls one library function and renders the
result; each returns the exit code. Library errors are mapped to a message and
an exit code in one place, :func:`report_error`.
"""

from __future__ import annotations

import sys
import time

from .errors import NotFoundError, ProcError, UsageError

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

if TYPE_CHECKING:
    Record = dict[str, Any]


def report_error(exc: ProcError) -> int:
    """Print ``exc`` on stderr as ``proc: error: ...``; returns its exit code."""
    sys.stderr.write(f"proc: error: {exc.message}\n")
    sys.stderr.flush()
    return exc.exit_code


class State:
    """Options given before the command: ``--store`` and ``--quiet``."""

    def __init__(self, store: str | None = None, quiet: bool = False) -> None:
        self.store = store
        self.quiet = quiet

    def open(self) -> Any:
        from .store import Store

        return Store(self.store)

    def say(self, message: str) -> None:
        """A confirmation on stderr, unless ``--quiet``."""
        if not self.quiet:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()


def _now() -> int:
    return int(time.time())


def _time(text: str | None, now: int) -> int | None:
    if text is None:
        return None
    from .timespec import parse_time

    return parse_time(text, now)


def _output(json: bool = False, jsonl: bool = False, now: int | None = None) -> Any:
    from .render import Output

    if json and jsonl:
        raise UsageError("--json and --jsonl cannot be combined; choose one")
    return Output(json=json, jsonl=jsonl, now=now)


def _short(rec: Record) -> str:
    return f"{rec['name']} ({rec['uid']})"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


# -- tracking ----------------------------------------------------------------------------


def start(st: State, name: str, layer: int, at: str | None, switch: bool, json: bool) -> int:
    from . import tracker

    now = _now()
    done = tracker.start(st.open(), name, layer, _time(at, now), switch, now=now)
    if done.stopped is not None:
        st.say(f"stopped {_short(done.stopped)} (switch)")
    st.say(f"started {_short(done.record)} on layer {layer}")
    _output(json, now=now).uid(done.record)
    return 0


def stop(st: State, target: str | None, at: str | None, json: bool) -> int:
    from . import tracker
    from .render import fmt_duration
    from .timeline import spans

    now = _now()
    rec = tracker.stop(st.open(), target, _time(at, now), now=now)
    total, paused = spans(rec, now)
    st.say(
        f"stopped {_short(rec)} after {fmt_duration(total)} (active {fmt_duration(total - paused)})"
    )
    _output(json, now=now).uid(rec)
    return 0


def pause(st: State, target: str | None, kind: str, at: str | None, json: bool) -> int:
    from . import tracker

    now = _now()
    rec = tracker.pause(st.open(), target, kind, _time(at, now), now=now)
    st.say(f"paused {_short(rec)} ({kind})")
    _output(json, now=now).uid(rec)
    return 0


def resume(st: State, target: str | None, at: str | None, json: bool) -> int:
    from . import tracker

    now = _now()
    rec = tracker.resume(st.open(), target, _time(at, now), now=now)
    st.say(f"resumed {_short(rec)}")
    _output(json, now=now).uid(rec)
    return 0


def run(
    st: State,
    name: str,
    argv: Sequence[str],
    layer: int,
    switch: bool,
    timeout: str | None,
    skip_if_running: bool,
    json: bool,
) -> int:
    """Run ``argv`` as the process ``name``; returns the command's exit status."""
    from .runner import grace_from_env
    from .runner import run as run_command

    seconds: int | None = None
    if timeout is not None:
        from .timespec import parse_duration

        seconds = int(timeout) if timeout.isascii() and timeout.isdigit() else None
        if seconds is None:
            seconds = parse_duration(timeout)
        if seconds == 0:
            seconds = None  # as timeout(1): a zero duration means no timeout
    result = run_command(
        st.open(), name, list(argv), layer, switch, seconds, skip_if_running, grace_from_env()
    )
    rec = result.record
    if result.error is not None:
        sys.stderr.write(
            f"proc: error: the command ran, but its end could not be recorded: "
            f"{result.error.message}\n"
        )
    elif rec is not None:
        if "error" in rec:
            sys.stderr.write(f"proc: error: {rec['error']}\n")
        if rec.get("timed_out"):
            st.say(f"proc: {_short(rec)} timed out after {timeout}")
        if json:
            _output(True).uid(rec)
    return result.status


# -- looking ----------------------------------------------------------------------------


def ls(
    st: State,
    states: Sequence[str],
    name: str | None,
    layer: int | None,
    since: str | None,
    until: str | None,
    limit: int | None,
    json: bool,
    jsonl: bool,
) -> int:
    from . import tracker

    if len(states) > 1:
        raise UsageError(
            "choose at most one of --running, --paused, --stopped, --active; got "
            + ", ".join("--" + s for s in states)
        )
    now = _now()
    out = _output(json, jsonl, now)
    store = st.open()
    doc = store.read()
    if out.is_json and not (states or name or layer is not None or since or until):
        from .listing import lines
        from .render import write_record_lines

        # The full listing of a store proc wrote: spliced from the stored lines
        # and a cache of the derived fields, without decoding the records.
        got = lines(doc, store, now, limit)
        if got is not None:
            write_record_lines(got, jsonl)
            return 0
    flt = tracker.Filter(
        state=states[0] if states else None,
        name=name,
        layer=layer,
        since=_time(since, now),
        until=_time(until, now),
        limit=limit,
    )
    out.records(tracker.select(doc, flt, now))
    return 0


def show(st: State, target: str | None, json: bool) -> int:
    from . import tracker

    now = _now()
    out = _output(json, now=now)
    doc = st.open().read()
    out.record(tracker.resolve(doc, target, latest_by_name=True))
    return 0


def status(st: State, json: bool, quiet: bool) -> int:
    from . import tracker

    now = _now()
    out = _output(json, now=now)
    running = tracker.active(st.open().read())
    if not quiet:
        if running or out.is_json:
            out.records(running)
        else:
            st.say("no active process")
    return 0 if running else 1


def report(
    st: State,
    since: str | None,
    until: str | None,
    by: str,
    name: str | None,
    json: bool,
    csv: bool,
) -> int:
    from .render import report_rows
    from .report import report as make_report

    if json and csv:
        raise UsageError("--json and --csv cannot be combined; choose one")
    now = _now()
    out = _output(json, now=now)
    doc = st.open().read()
    rows = make_report(doc.processes.values(), _time(since, now), _time(until, now), by, name, now)
    report_rows(out, rows, by, csv)
    return 0


def export(st: State, output: str | None) -> int:
    from .exchange import export as do_export

    count = do_export(st.open(), output)
    if output not in (None, "-"):
        st.say(f"exported {_plural(count, 'process', 'processes')} to {output}")
    return 0


def import_(st: State, files: Sequence[str], replace: bool) -> int:
    from .exchange import import_files

    if not files:
        raise UsageError("give at least one file to import (- for stdin)")
    result = import_files(st.open(), list(files), replace)
    st.say("imported: " + result.describe())
    for old, new in result.rekeyed:
        st.say(f"  {old} -> {new}")
    return 0


# -- removing ---------------------------------------------------------------------------


def _confirm(question: str, yes: bool) -> bool:
    """True to go on. Never prompts unless stdin is a terminal."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question[:-1]}: refusing without --yes, since stdin is not a terminal")
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def rm(st: State, uids: Sequence[str], all_: bool, yes: bool) -> int:
    from . import tracker

    if all_ and uids:
        raise UsageError("give UIDs or --all, not both")
    if all_:
        if not _confirm("Remove every process from the store?", yes):
            st.say("nothing removed")
            return 1
        count = tracker.clear(st.open())
        st.say(f"removed {_plural(count, 'process', 'processes')}")
        return 0
    if not uids:
        raise UsageError("give at least one UID to remove, or --all")
    if not _confirm(f"Remove {_plural(len(uids), 'process', 'processes')}?", yes):
        st.say("nothing removed")
        return 1
    gone = tracker.remove(st.open(), list(uids))
    for rec in gone:
        sys.stdout.write(rec["uid"] + "\n")
    st.say("removed " + ", ".join(_short(r) for r in gone))
    return 0


def undo(st: State) -> int:
    from . import tracker

    done = tracker.undo(st.open())
    st.say("undid the last change: " + done.describe())
    return 0


def check(st: State, json: bool) -> int:
    from .check import check as find_faults
    from .render import dumps_json

    store = st.open()
    faults = find_faults(store)
    if json:
        sys.stdout.write(
            dumps_json([{"path": where, "problem": problem} for where, problem in faults]) + "\n"
        )
    else:
        for where, problem in faults:
            sys.stdout.write(f"{where}: {problem}\n")
    if faults:
        sys.stderr.write(f"proc: store {store.path}: {_plural(len(faults), 'fault')}\n")
        return 3
    st.say(f"store {store.path} is valid")
    return 0


# -- the mindmap ------------------------------------------------------------------------


def direction(both: bool, reverse: bool) -> bool | None:
    """``--both`` -> None, ``--reverse`` -> True, neither -> False."""
    if both and reverse:
        raise UsageError("choose one of --both and --reverse")
    return None if both else reverse


def link(st: State, src: str, node: str, both: bool, reverse: bool) -> int:
    from . import tracker

    new = tracker.link(st.open(), src, node, direction(both, reverse))
    if new:
        st.say("linked " + ", ".join(f"{a} -> {b}" for a, b in new))
    else:
        st.say("already linked; nothing changed")
    return 0


def unlink(st: State, src: str, node: str, both: bool, reverse: bool) -> int:
    from . import tracker

    gone = tracker.unlink(st.open(), src, node, direction(both, reverse))
    st.say("unlinked " + ", ".join(f"{a} -> {b}" for a, b in gone))
    return 0


def graph(st: State, node: str | None, json: bool) -> int:
    from . import tracker
    from .model import Mindmap

    doc = st.open().read()
    mm = Mindmap(doc.data.get("mindmap", {}))
    if node is not None and node not in mm.map:
        raise NotFoundError(f"no node {node!r} in the mindmap")
    out = _output(json)
    if node is None:
        out.graph(mm.map, mm.roots(), tracker.latest_state(doc))
    else:
        sub = {n: list(mm.connections(n)) for n in mm.reachable(node)}
        out.graph(sub, [node], tracker.latest_state(doc))
    return 0


def times() -> int:
    from .timespec import __doc__ as grammar

    sys.stdout.write((grammar or "").split("Accepted forms", 1)[-1].strip() + "\n")
    return 0
