"""The ``proc`` console entry point, with a fast path for the hot commands.

Importing Typer costs more than the rest of a ``proc start`` together (see
docs/performance.md), and cron jobs call ``proc`` many times an hour. So the
plain forms of ``start``, ``stop``, ``pause``, ``resume``, ``ls``, ``status`` and
``show`` are parsed here, with a small parser that accepts exactly the options
the Typer app declares, and run through the same :mod:`processes.commands`
functions. Anything else -- help, completion, an unknown or repeated option, a
value that does not convert, a missing argument -- goes to the Typer app, which
then gives the canonical message. Both paths are tested against each other.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from typing import Any, NoReturn

# command -> (positional names (all optional, or required with "!"),
#             options taking a value {flag: key}, boolean flags {flag: key})
_SPECS: dict[str, tuple[tuple[str, ...], dict[str, str], dict[str, str]]] = {
    "start": (
        ("name!",),
        {"--layer": "layer", "-l": "layer", "--at": "at"},
        {"--switch": "switch", "--json": "json"},
    ),
    "stop": (("target",), {"--at": "at"}, {"--json": "json"}),
    "pause": (
        ("target",),
        {"--type": "kind", "-t": "kind", "--at": "at"},
        {"--json": "json"},
    ),
    "resume": (("target",), {"--at": "at"}, {"--json": "json"}),
    "ls": (
        (),
        {
            "--name": "name",
            "--layer": "layer",
            "-l": "layer",
            "--since": "since",
            "--until": "until",
            "--limit": "limit",
            "-n": "limit",
        },
        {
            "--running": "running",
            "--paused": "paused",
            "--stopped": "stopped",
            "--active": "active",
            "--json": "json",
            "--jsonl": "jsonl",
        },
    ),
    "status": ((), {}, {"--json": "json", "--quiet": "quiet", "-q": "quiet"}),
    "show": (("target",), {}, {"--json": "json"}),
}
_INTS = {"layer", "limit"}


def parse(argv: list[str]) -> tuple[str, dict[str, Any]] | None:
    """``(command, values)`` for a simple hot command line, else None (use Typer)."""
    values: dict[str, Any] = {"store": None, "quiet_global": False}
    i = 0
    while i < len(argv):  # global options before the command
        arg = argv[i]
        if arg == "--store" and i + 1 < len(argv):
            values["store"] = argv[i + 1]
            i += 2
        elif arg.startswith("--store="):
            values["store"] = arg[len("--store=") :]
            i += 1
        elif arg in ("-q", "--quiet"):
            values["quiet_global"] = True
            i += 1
        else:
            break
    if i >= len(argv) or argv[i] not in _SPECS:
        return None
    command = argv[i]
    positional, options, flags = _SPECS[command]
    seen: set[str] = set()
    given: list[str] = []
    i += 1
    while i < len(argv):
        arg = argv[i]
        key: str | None
        if arg.startswith("--") and "=" in arg:
            flag, _, value = arg.partition("=")
            key = options.get(flag)
            if key is None:
                return None
            i += 1
        elif arg in options:
            if i + 1 >= len(argv):
                return None
            key, value = options[arg], argv[i + 1]
            i += 2
        elif arg in flags:
            key, value = flags[arg], "1"
            if key in seen:
                return None
            seen.add(key)
            values[key] = True
            i += 1
            continue
        elif arg.startswith("-") and arg != "-":
            return None  # unknown option, "--", help: Typer decides
        else:
            given.append(arg)
            i += 1
            continue
        if key in seen:
            return None
        seen.add(key)
        if key in _INTS:
            if not (value.isascii() and value.isdigit()):
                return None
            values[key] = int(value)
        else:
            values[key] = value
    if len(given) > len(positional):
        return None
    for j, name in enumerate(positional):
        required = name.endswith("!")
        name = name.rstrip("!")
        if j < len(given):
            values[name] = given[j]
        elif required:
            return None
        else:
            values[name] = None
    return command, values


def _run(command: str, v: dict[str, Any]) -> int:
    from . import commands

    st = commands.State(store=v["store"], quiet=v["quiet_global"])
    json = bool(v.get("json"))
    if command == "start":
        return commands.start(
            st, v["name"], v.get("layer", 0), v.get("at"), bool(v.get("switch")), json
        )
    if command == "stop":
        return commands.stop(st, v["target"], v.get("at"), json)
    if command == "pause":
        return commands.pause(st, v["target"], v.get("kind", "pause"), v.get("at"), json)
    if command == "resume":
        return commands.resume(st, v["target"], v.get("at"), json)
    if command == "ls":
        states = [s for s in ("running", "paused", "stopped", "active") if v.get(s)]
        return commands.ls(
            st,
            states,
            v.get("name"),
            v.get("layer"),
            v.get("since"),
            v.get("until"),
            v.get("limit"),
            json,
            bool(v.get("jsonl")),
        )
    if command == "status":
        return commands.status(st, json, bool(v.get("quiet")))
    return commands.show(st, v["target"], json)


def main(argv: list[str] | None = None) -> None:
    """Run ``proc`` with ``argv`` (default: the process's arguments)."""
    args = sys.argv[1:] if argv is None else argv
    # A command lives for milliseconds and creates no reference cycles worth
    # collecting; the collector would only walk a large store's objects again.
    import gc

    gc.disable()
    parsed = None if "_PROC_COMPLETE" in os.environ else parse(args)
    try:
        if parsed is None:
            from .cli import app

            app(args=args, prog_name="proc")
            return
        from .errors import ProcError

        try:
            code = _run(*parsed)
        except ProcError as exc:
            from .commands import report_error

            code = report_error(exc)
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_pipe()
    sys.exit(code)


def quiet_pipe() -> NoReturn:
    """``proc ls | head``: the reader left. Exit quietly and keep Python from
    complaining when it flushes stdout at shutdown."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    os._exit(0)
