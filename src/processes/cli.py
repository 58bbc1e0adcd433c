"""``proc``: the command line. Each command parses, calls one library function, renders.

Errors are mapped to messages and exit codes in one place (:class:`_Group`):
the library raises :class:`~processes.errors.ProcError` subclasses that carry
their exit code. stdout carries data only; messages go to stderr.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, Optional

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import ProcError, UsageError

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 the request cannot be done (not found, ambiguous, "
    "wrong state, busy layer); 2 usage error (bad option, bad time); 3 store error "
    "(unreadable or invalid store, lock timeout, write failed)."
)


class _Group(TyperGroup):
    """The one place where library errors become messages and exit codes."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ProcError as exc:
            fail(exc)
        except BrokenPipeError:
            _quiet_pipe()


def fail(exc: ProcError) -> NoReturn:
    """Report ``exc`` on stderr and exit with its code."""
    sys.stderr.write(f"proc: error: {exc.message}\n")
    sys.stderr.flush()
    raise typer.Exit(exc.exit_code)


app = typer.Typer(
    cls=_Group,
    name="proc",
    help="Track processes, their pauses and their dependencies.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and errors: no rich import on these paths
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class State:
    """Options given before the command."""

    store: str | None = None
    quiet: bool = False

    def open(self) -> Any:
        from .store import Store

        return Store(self.store)

    def say(self, message: str) -> None:
        if not self.quiet:
            from .render import say

            say(message)


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State()


def _version(value: bool) -> None:
    if value:
        print(f"proc {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    store: Annotated[
        Optional[str],  # noqa: UP045 - typer needs the runtime-visible form
        typer.Option(
            "--store",
            metavar="PATH",
            help="Store file (default: $PROC_STORE, else the user data directory).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No confirmation messages on stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = State(store=store, quiet=quiet)


# -- completion ---------------------------------------------------------------------------


def _complete_records(ctx: typer.Context, incomplete: str, names: bool) -> list[str]:
    try:
        from .store import Store

        root = ctx.find_root()
        doc = Store(root.params.get("store")).read()
    except Exception:  # completion must never fail loudly
        return []
    out: list[str] = []
    for rec in doc.processes.values():
        out.append(rec["uid"])
        if names and rec["timeline"]["terminated"] == -1:
            out.append(rec["name"])
    return sorted({c for c in out if c.startswith(incomplete)})


def _complete_target(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_records(ctx, incomplete, names=True)


def _complete_uid(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_records(ctx, incomplete, names=False)


def _complete_name(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        from .store import Store

        doc = Store(ctx.find_root().params.get("store")).read()
    except Exception:
        return []
    names = {r["name"] for r in doc.processes.values()} | set(doc.data.get("mindmap", {}))
    return sorted(n for n in names if n.startswith(incomplete))


# -- shared option types -----------------------------------------------------------------

TargetArg = Annotated[
    Optional[str],  # noqa: UP045
    typer.Argument(
        metavar="[TARGET]",
        help="A UID, or the name of the one active process; default: the one active process.",
        autocompletion=_complete_target,
        show_default=False,
    ),
]
AtOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--at", metavar="TIME", help="When it happened (default: now). See 'proc times'."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _time(text: str | None, now: int) -> int | None:
    if text is None:
        return None
    from .timespec import parse_time

    return parse_time(text, now)


def _now() -> int:
    import time

    return int(time.time())


def _output(json: bool = False, jsonl: bool = False, now: int | None = None) -> Any:
    from .render import Output

    if json and jsonl:
        raise UsageError("--json and --jsonl cannot be combined; choose one")
    return Output(json=json, jsonl=jsonl, now=now)


def _short(rec: dict[str, Any]) -> str:
    return f"{rec['name']} ({rec['uid']})"


# -- commands ----------------------------------------------------------------------------


@app.command()
def start(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The process's name.", autocompletion=_complete_name)],
    layer: Annotated[
        int,
        typer.Option(
            "--layer", "-l", min=0, help="Layer: 0 allows parallel processes; N >= 1 one at a time."
        ),
    ] = 0,
    at: AtOpt = None,
    switch: Annotated[
        bool, typer.Option("--switch", help="Stop the layer's active process at the same instant.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Start a process; prints its new UID (for uid=$(proc start NAME))."""
    from . import tracker

    st = _state(ctx)
    now = _now()
    done = tracker.start(st.open(), name, layer, _time(at, now), switch, now=now)
    if done.stopped is not None:
        st.say(f"stopped {_short(done.stopped)} (switch)")
    st.say(f"started {_short(done.record)} on layer {layer}")
    _output(json, now=now).uid(done.record)


@app.command()
def stop(
    ctx: typer.Context, target: TargetArg = None, at: AtOpt = None, json: JsonOpt = False
) -> None:
    """Stop a process (its open pauses end at the same time); prints its UID."""
    from . import tracker
    from .render import fmt_duration
    from .timeline import spans

    st = _state(ctx)
    now = _now()
    rec = tracker.stop(st.open(), target, _time(at, now), now=now)
    total, paused = spans(rec, now)
    st.say(
        f"stopped {_short(rec)} after {fmt_duration(total)} (active {fmt_duration(total - paused)})"
    )
    _output(json, now=now).uid(rec)


@app.command()
def pause(
    ctx: typer.Context,
    target: TargetArg = None,
    kind: Annotated[
        str, typer.Option("--type", "-t", metavar="TYPE", help="The disruption's type.")
    ] = "pause",
    at: AtOpt = None,
    json: JsonOpt = False,
) -> None:
    """Pause a process; pausing a paused process nests a new disruption inside."""
    from . import tracker

    st = _state(ctx)
    now = _now()
    rec = tracker.pause(st.open(), target, kind, _time(at, now), now=now)
    st.say(f"paused {_short(rec)} ({kind})")
    _output(json, now=now).uid(rec)


@app.command()
def resume(
    ctx: typer.Context, target: TargetArg = None, at: AtOpt = None, json: JsonOpt = False
) -> None:
    """Resume a paused process (closes its innermost open disruption)."""
    from . import tracker

    st = _state(ctx)
    now = _now()
    rec = tracker.resume(st.open(), target, _time(at, now), now=now)
    st.say(f"resumed {_short(rec)}")
    _output(json, now=now).uid(rec)


@app.command("ls")
def ls(
    ctx: typer.Context,
    running: Annotated[bool, typer.Option("--running", help="Only running processes.")] = False,
    paused: Annotated[bool, typer.Option("--paused", help="Only paused processes.")] = False,
    stopped: Annotated[bool, typer.Option("--stopped", help="Only stopped processes.")] = False,
    active: Annotated[bool, typer.Option("--active", help="Only running or paused ones.")] = False,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--name", help="Only processes with this name.", autocompletion=_complete_name
        ),
    ] = None,
    layer: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--layer", "-l", min=0, help="Only this layer."),
    ] = None,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--since", metavar="TIME", help="Only processes still going at or after TIME."
        ),
    ] = None,
    until: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--until", metavar="TIME", help="Only processes started at or before TIME."),
    ] = None,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--limit", "-n", min=0, help="Only the latest N."),
    ] = None,
    json: JsonOpt = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON object per line.")] = False,
) -> None:
    """List processes, ordered by start time."""
    from . import tracker

    states = [
        s
        for s, on in (
            ("running", running),
            ("paused", paused),
            ("stopped", stopped),
            ("active", active),
        )
        if on
    ]
    if len(states) > 1:
        raise UsageError(
            "choose at most one of --running, --paused, --stopped, --active; got "
            + ", ".join("--" + s for s in states)
        )
    now = _now()
    out = _output(json, jsonl, now)
    flt = tracker.Filter(
        state=states[0] if states else None,
        name=name,
        layer=layer,
        since=_time(since, now),
        until=_time(until, now),
        limit=limit,
    )
    out.records(tracker.select(_state(ctx).open().read(), flt, now))


@app.command()
def show(ctx: typer.Context, target: TargetArg = None, json: JsonOpt = False) -> None:
    """Show one process in full, its disruptions as a tree.

    A name means its active process, else its latest one.
    """
    from . import tracker

    now = _now()
    out = _output(json, now=now)
    doc = _state(ctx).open().read()
    out.record(tracker.resolve(doc, target, latest_by_name=True))


@app.command()
def status(
    ctx: typer.Context,
    json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; only the exit code.")
    ] = False,
) -> None:
    """The active processes; exits 0 when at least one is active, 1 when none is."""
    from . import tracker

    now = _now()
    out = _output(json, now=now)
    running = tracker.active(_state(ctx).open().read())
    if not quiet:
        if running or out.is_json:
            out.records(running)
        else:
            _state(ctx).say("no active process")
    raise typer.Exit(0 if running else 1)


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{question[:-1]}: refusing without --yes, since stdin is not a terminal")
    if not typer.confirm(question, default=False, err=True):
        raise typer.Exit(1)


@app.command()
def rm(
    ctx: typer.Context,
    uids: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(metavar="[UID]...", help="UIDs to remove.", autocompletion=_complete_uid),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Remove every process (the mindmap stays).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask; needed when not on a terminal.")
    ] = False,
) -> None:
    """Remove processes by UID, or all of them with --all. Prints the removed UIDs."""
    from . import tracker

    st = _state(ctx)
    if all_ and uids:
        raise UsageError("give UIDs or --all, not both")
    if all_:
        _confirm("Remove every process from the store?", yes)
        count = tracker.clear(st.open())
        st.say(f"removed {count} process{'es' if count != 1 else ''}")
        return
    if not uids:
        raise UsageError("give at least one UID to remove, or --all")
    _confirm(f"Remove {len(uids)} process{'es' if len(uids) != 1 else ''}?", yes)
    gone = tracker.remove(st.open(), uids)
    for rec in gone:
        print(rec["uid"])
    st.say(f"removed {', '.join(_short(r) for r in gone)}")


DirBoth = Annotated[bool, typer.Option("--both", help="Both directions.")]
DirReverse = Annotated[bool, typer.Option("--reverse", help="NODE -> SRC instead.")]
NodeArg = Annotated[str, typer.Argument(autocompletion=_complete_name)]


def _direction(both: bool, reverse: bool) -> bool | None:
    if both and reverse:
        raise UsageError("choose one of --both and --reverse")
    return None if both else reverse


@app.command()
def link(
    ctx: typer.Context,
    src: NodeArg,
    node: NodeArg,
    both: DirBoth = False,
    reverse: DirReverse = False,
) -> None:
    """Add the edge SRC -> NODE to the mindmap."""
    from . import tracker

    st = _state(ctx)
    new = tracker.link(st.open(), src, node, _direction(both, reverse))
    if new:
        st.say("linked " + ", ".join(f"{a} -> {b}" for a, b in new))
    else:
        st.say("already linked; nothing changed")


@app.command()
def unlink(
    ctx: typer.Context,
    src: NodeArg,
    node: NodeArg,
    both: DirBoth = False,
    reverse: DirReverse = False,
) -> None:
    """Remove the edge SRC -> NODE from the mindmap."""
    from . import tracker

    st = _state(ctx)
    gone = tracker.unlink(st.open(), src, node, _direction(both, reverse))
    st.say("unlinked " + ", ".join(f"{a} -> {b}" for a, b in gone))


@app.command()
def graph(
    ctx: typer.Context,
    node: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="Draw only what NODE leads to.", autocompletion=_complete_name),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Draw the mindmap as a tree, each node with the state of its latest process."""
    from . import tracker
    from .errors import NotFoundError
    from .model import Mindmap

    doc = _state(ctx).open().read()
    mm = Mindmap(doc.data.get("mindmap", {}))
    if node is not None and node not in mm.map:
        raise NotFoundError(f"no node {node!r} in the mindmap")
    out = _output(json)
    if node is None:
        out.graph(mm.map, mm.roots(), tracker.latest_state(doc))
    else:
        sub = {n: list(mm.connections(n)) for n in mm.reachable(node)}
        out.graph(sub, [node], tracker.latest_state(doc))


@app.command()
def undo(ctx: typer.Context) -> None:
    """Restore the store as it was before the last change (one level; no redo)."""
    from . import tracker

    done = tracker.undo(_state(ctx).open())
    _state(ctx).say("undid the last change: " + done.describe())


@app.command()
def check(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Validate the store and list every fault with its JSON path; never writes.

    Exits 0 when the store is valid, 3 otherwise.
    """
    from .check import check as find_faults
    from .render import dumps_json

    store = _state(ctx).open()
    faults = find_faults(store)
    if json:
        print(dumps_json([{"path": where, "problem": problem} for where, problem in faults]))
    else:
        for where, problem in faults:
            print(f"{where}: {problem}")
    if faults:
        from .render import say

        say(f"proc: store {store.path}: {len(faults)} fault{'s' if len(faults) != 1 else ''}")
        raise typer.Exit(3)
    _state(ctx).say(f"store {store.path} is valid")


@app.command()
def times() -> None:
    """The accepted forms of TIME (--at, --since, --until)."""
    from .timespec import __doc__ as grammar

    print((grammar or "").split("Accepted forms", 1)[-1].strip())


def main() -> None:
    """The console entry point: the app, with a quiet end when stdout's reader goes away."""
    try:
        app()
    except BrokenPipeError:
        _quiet_pipe()


def _quiet_pipe() -> NoReturn:
    # `proc ls | head`: the reader left. Exit quietly, and keep Python from
    # complaining when it flushes stdout at shutdown.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    os._exit(0)
