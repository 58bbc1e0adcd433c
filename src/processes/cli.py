"""``proc``: the Typer app. Each command parses its arguments and hands them to
the matching function of :mod:`processes.commands`, which calls the library and
renders. Library errors become messages and exit codes in one place
(:func:`processes.commands.report_error`, called from :class:`_Group`).

The hot commands usually never reach this module: :mod:`processes.entry` parses
their simple forms itself, because importing Typer costs more than the rest of
the command together.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from . import __version__, commands
from .commands import State
from .errors import ProcError

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
            raise typer.Exit(commands.report_error(exc)) from None
        except BrokenPipeError:
            from .entry import quiet_pipe

            quiet_pipe()

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the app; parse errors are shown in proc's own ``proc: error:`` form."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        from typer._click.exceptions import ClickException, NoArgsIsHelpError

        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            lines = [f"proc: error: {exc.format_message()}"]
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                lines.append(ctx.get_usage())
                lines.append(f"Try '{ctx.command_path} -h' for help.")
            sys.stderr.write("\n".join(lines) + "\n")
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.stderr.write("Aborted!\n")
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="proc",
    help="Track processes, their pauses and their dependencies.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help and errors: no rich import on these paths
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


def _complete_records(
    ctx: typer.Context, incomplete: str, names: bool, active_only: bool = False
) -> list[str]:
    try:
        from .store import Store

        root = ctx.find_root()
        doc = Store(root.params.get("store")).read()
        # Targets of stop/pause/resume are active: on a large store only those
        # are decoded, so completion stays quick.
        records = doc.active() if active_only else list(doc.processes.values())
    except Exception:  # completion must never fail loudly
        return []
    out: list[str] = []
    for rec in records:
        out.append(rec["uid"])
        if names and rec["timeline"]["terminated"] == -1:
            out.append(rec["name"])
    return sorted({c for c in out if c.startswith(incomplete)})


def _complete_target(ctx: typer.Context, incomplete: str) -> list[str]:
    return _complete_records(ctx, incomplete, names=True, active_only=True)


def _complete_any_target(ctx: typer.Context, incomplete: str) -> list[str]:
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
ShowTargetArg = Annotated[
    Optional[str],  # noqa: UP045
    typer.Argument(
        metavar="[TARGET]",
        help="A UID, or a name (its active process, else its latest); default: the one active.",
        autocompletion=_complete_any_target,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _done(code: int) -> None:
    if code:
        raise typer.Exit(code)


# -- commands ----------------------------------------------------------------------------


@app.command()
def start(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="The process's name.", autocompletion=_complete_name),
    ],
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
    _done(commands.start(_state(ctx), name, layer, at, switch, json))


@app.command()
def stop(
    ctx: typer.Context, target: TargetArg = None, at: AtOpt = None, json: JsonOpt = False
) -> None:
    """Stop a process (its open pauses end at the same time); prints its UID."""
    _done(commands.stop(_state(ctx), target, at, json))


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
    _done(commands.pause(_state(ctx), target, kind, at, json))


@app.command()
def resume(
    ctx: typer.Context, target: TargetArg = None, at: AtOpt = None, json: JsonOpt = False
) -> None:
    """Resume a paused process (closes its innermost open disruption)."""
    _done(commands.resume(_state(ctx), target, at, json))


@app.command()
def run(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="The process's name.", autocompletion=_complete_name),
    ],
    command: Annotated[
        list[str],
        typer.Argument(metavar="-- CMD [ARGS]...", help="The command to run, after --."),
    ],
    layer: Annotated[int, typer.Option("--layer", "-l", min=0, help="Layer of the process.")] = 0,
    switch: Annotated[
        bool, typer.Option("--switch", help="Stop the layer's active process first.")
    ] = False,
    timeout: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="Stop CMD after DURATION (30s, 5m, 1h30m): SIGTERM, then SIGKILL; exit 124.",
        ),
    ] = None,
    skip_if_running: Annotated[
        bool,
        typer.Option(
            "--skip-if-running", help="Exit 1 without running CMD when NAME is already active."
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Run CMD as process NAME: recorded from start to end; exits with CMD's status.

    127 when CMD is not found, 126 when it cannot be executed, 124 when the
    timeout expired, 128+N when it died of signal N.
    """
    _done(commands.run(_state(ctx), name, command, layer, switch, timeout, skip_if_running, json))


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
    flags = (("running", running), ("paused", paused), ("stopped", stopped), ("active", active))
    states = [s for s, on in flags if on]
    _done(commands.ls(_state(ctx), states, name, layer, since, until, limit, json, jsonl))


@app.command()
def show(ctx: typer.Context, target: ShowTargetArg = None, json: JsonOpt = False) -> None:
    """Show one process in full, its disruptions as a tree.

    A name means its active process, else its latest one.
    """
    _done(commands.show(_state(ctx), target, json))


@app.command()
def status(
    ctx: typer.Context,
    json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing; only the exit code.")
    ] = False,
) -> None:
    """The active processes; exits 0 when at least one is active, 1 when none is."""
    _done(commands.status(_state(ctx), json, quiet))


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
    _done(commands.rm(_state(ctx), uids or [], all_, yes))


DirBoth = Annotated[bool, typer.Option("--both", help="Both directions.")]
DirReverse = Annotated[bool, typer.Option("--reverse", help="NODE -> SRC instead.")]
NodeArg = Annotated[str, typer.Argument(metavar="NODE", autocompletion=_complete_name)]


@app.command()
def link(
    ctx: typer.Context,
    src: NodeArg,
    node: NodeArg,
    both: DirBoth = False,
    reverse: DirReverse = False,
) -> None:
    """Add the edge SRC -> NODE to the mindmap."""
    _done(commands.link(_state(ctx), src, node, both, reverse))


@app.command()
def unlink(
    ctx: typer.Context,
    src: NodeArg,
    node: NodeArg,
    both: DirBoth = False,
    reverse: DirReverse = False,
) -> None:
    """Remove the edge SRC -> NODE from the mindmap."""
    _done(commands.unlink(_state(ctx), src, node, both, reverse))


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
    _done(commands.graph(_state(ctx), node, json))


@app.command()
def report(
    ctx: typer.Context,
    since: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--since", metavar="TIME", help="Window start (default: 7 days ago)."),
    ] = None,
    until: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--until", metavar="TIME", help="Window end (default: now)."),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", metavar="name|day|layer", help="Group by name, day or layer.")
    ] = "name",
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--name", help="Only processes with this name.", autocompletion=_complete_name
        ),
    ] = None,
    json: JsonOpt = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV with a header row.")] = False,
) -> None:
    """Totals of active, paused and whole time over a window, by name, day or layer.

    Only the part of each process inside the window counts; --by day splits at
    local midnight.
    """
    _done(commands.report(_state(ctx), since, until, by, name, json, csv))


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
) -> None:
    """Write the store (processes and mindmap) in the seed's JSON format."""
    _done(commands.export(_state(ctx), output))


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[str], typer.Argument(metavar="FILE...", help="Files to merge (- for stdin).")
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite records whose UID is taken.")
    ] = False,
) -> None:
    """Merge exported files into the store, in one change; nothing is overwritten.

    A UID taken by a different record gets a new UID (unless --replace);
    identical records are skipped; mindmap edges are merged.
    """
    _done(commands.import_(_state(ctx), files, replace))


@app.command()
def undo(ctx: typer.Context) -> None:
    """Restore the store as it was before the last change (one level; no redo)."""
    _done(commands.undo(_state(ctx)))


@app.command()
def check(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Validate the store and list every fault with its JSON path; never writes.

    Exits 0 when the store is valid, 3 otherwise.
    """
    _done(commands.check(_state(ctx), json))


@app.command()
def times() -> None:
    """The accepted forms of TIME (--at, --since, --until)."""
    _done(commands.times())
