"""How results reach stdout: one :class:`Output` object decides the form.

* ``json`` / ``jsonl`` on request: the records plus computed fields, no colour.
* ``table`` on a terminal: rich tables and trees (rich is imported only here).
* ``plain`` otherwise (pipes, files): tab-separated lines, one record a line,
  no header and no box drawing, so ``cut``, ``awk`` and ``while read`` work.

``PROC_OUTPUT=table`` or ``PROC_OUTPUT=plain`` overrides the terminal check.
Messages never go through here: they go to stderr (see :func:`say`).
"""

from __future__ import annotations

import os
import sys
import time

from . import timeline as tlm

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any

if TYPE_CHECKING:
    Record = dict[str, Any]


def say(message: str) -> None:
    """A message for the user, on stderr."""
    print(message, file=sys.stderr, flush=True)


def fmt_duration(seconds: int) -> str:
    """``45s``, ``12m03s``, ``1h02m``, ``2d03h``: compact, for people."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def fmt_local(ts: int | None) -> str:
    """Local time for people, ``-`` for none."""
    if ts is None or ts == tlm.ONGOING:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _clean(text: str) -> str:
    # Plain output is tab- and line-separated: never let a field break that.
    return (
        "".join(ch if ch.isprintable() else "?" for ch in text) if not text.isprintable() else text
    )


def dumps_json(obj: Any) -> str:
    """JSON text for stdout: UTF-8, indented, no colour.

    orjson at every size: the stdlib's indenting encoder is pure Python, slower
    on a few hundred records than orjson's import.
    """
    import orjson

    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:
        pass  # e.g. a lone surrogate or a huge integer: the stdlib writes it exactly
    import json

    return json.dumps(obj, indent=2)


def write_record_lines(lines: list[bytes], jsonl: bool) -> None:
    """Records already encoded as compact JSON objects, to stdout as bytes.

    ``--json``: one array, one record a line (readable, greppable, and what jq
    takes); ``--jsonl``: one record a line, no array.
    """
    if jsonl:
        data = b"\n".join(lines) + b"\n" if lines else b""
    else:
        data = b"[\n" + b",\n".join(lines) + b"\n]\n" if lines else b"[]\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


class Output:
    """The form of stdout for one command: ``json``, ``jsonl``, ``table`` or ``plain``."""

    def __init__(self, json: bool = False, jsonl: bool = False, now: int | None = None) -> None:
        if json:
            self.mode = "json"
        elif jsonl:
            self.mode = "jsonl"
        else:
            forced = os.environ.get("PROC_OUTPUT", "").lower()
            if forced in ("table", "plain"):
                self.mode = forced
            else:
                self.mode = "table" if sys.stdout.isatty() else "plain"
        self.now = int(time.time()) if now is None else now

    @property
    def is_json(self) -> bool:
        return self.mode in ("json", "jsonl")

    def write(self, text: str) -> None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")

    def enrich(self, rec: Record) -> Record:
        return tlm.enrich(rec, self.now)

    # -- shapes ---------------------------------------------------------------------

    def uid(self, rec: Record) -> None:
        """A changed process: its UID alone (``$(proc start x)``), or its JSON."""
        if self.is_json:
            self.write(dumps_json(self.enrich(rec)))
        else:
            self.write(rec["uid"])

    def records(self, recs: Sequence[Record], title: str | None = None) -> None:
        """A listing: a JSON array, JSON lines, a table, or plain lines."""
        if self.mode == "table":
            self._table(recs, title)
            return
        rows = tlm.enrich_all(list(recs), self.now)
        if self.is_json:
            from .codec import dumps_compact

            many = len(rows) > 200
            write_record_lines([dumps_compact(e, many) for e in rows], self.mode == "jsonl")
        else:
            out = sys.stdout
            for e in rows:
                out.write("\t".join(_plain_fields(e)) + "\n")

    def _table(self, recs: Sequence[Record], title: str | None) -> None:
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col, just in (
            ("UID", "left"),
            ("NAME", "left"),
            ("STATE", "left"),
            ("LAYER", "right"),
            ("STARTED", "left"),
            ("ENDED", "left"),
            ("DURATION", "right"),
            ("ACTIVE", "right"),
        ):
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        colour = {"running": "green", "paused": "yellow", "stopped": "dim"}
        for r in recs:
            e = self.enrich(r)
            tl = r["timeline"]
            table.add_row(
                escape(e["uid"]),
                escape(e["name"]),
                f"[{colour[e['state']]}]{e['state']}[/]",
                str(e["layer"]),
                fmt_local(tl["initialized"]),
                fmt_local(tl["terminated"]),
                fmt_duration(e["duration_s"]),
                fmt_duration(e["active_s"]),
                style=None,
            )
        console().print(table)

    def record(self, rec: Record) -> None:
        """One process in full, its disruptions as a tree."""
        if self.is_json:
            self.write(dumps_json(self.enrich(rec)))
            return
        e = self.enrich(rec)
        lines = [
            f"{e['name']} ({e['uid']}): {e['state']}, layer {e['layer']}",
            f"started {fmt_local(rec['timeline']['initialized'])}, "
            f"ended {fmt_local(rec['timeline']['terminated'])}",
            f"duration {fmt_duration(e['duration_s'])} ({e['duration_s']} s), "
            f"active {fmt_duration(e['active_s'])} ({e['active_s']} s)",
        ]
        for key in ("command", "exit_code", "signal"):
            if key in rec:
                lines.append(f"{key}: {rec[key]}")
        if self.mode == "plain":
            self.write("\n".join(lines))
            for depth, kind, sub in _walk(rec["timeline"], 1):
                self.write("  " * depth + self._disruption_label(kind, sub))
            return
        from rich.markup import escape
        from rich.tree import Tree

        tree = Tree(escape(lines[0]), guide_style="dim")
        for extra in lines[1:]:
            tree.label = f"{tree.label}\n{escape(extra)}"
        self._grow(tree, rec["timeline"])
        console().print(tree)

    def _disruption_label(self, kind: str, sub: tlm.Timeline) -> str:
        fake = {"uid": "0-0000", "timeline": sub}
        end = fmt_local(sub["terminated"]) if sub["terminated"] != tlm.ONGOING else "open"
        return (
            f"{_clean(kind)}: {fmt_local(sub['initialized'])} -> {end} "
            f"({fmt_duration(tlm.duration_s(fake, self.now))})"
        )

    def _grow(self, node: Any, tl: tlm.Timeline) -> None:
        from rich.markup import escape

        for kind, sub in tlm.children(tl):
            self._grow(node.add(escape(self._disruption_label(kind, sub))), sub)

    def graph(
        self, mindmap: dict[str, list[str]], roots: Iterable[str], states: dict[str, str]
    ) -> None:
        """The mindmap as a tree from ``roots``; a cycle is marked and not followed."""
        if self.is_json:
            self.write(dumps_json(mindmap))
            return
        lines = list(_graph_lines(mindmap, roots, states))
        if self.mode == "plain":
            for depth, label in lines:
                self.write("  " * depth + _clean(label))
            return
        from rich.markup import escape
        from rich.tree import Tree

        top = Tree("mindmap", guide_style="dim")
        stack: list[Any] = [top]
        for depth, label in lines:
            del stack[depth + 1 :]
            stack.append(stack[depth].add(escape(label)))
        console().print(top)


def report_rows(out: Output, rows: Sequence[Record], by: str, csv: bool = False) -> None:
    """A report: JSON array, CSV with a header, plain lines, or a table with a total row."""
    cols = [by, "active_s", "duration_s", "paused_s", "count"]
    if out.is_json:
        out.write(dumps_json(list(rows)))
        return
    if csv:
        import csv as csvmod

        writer = csvmod.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([row[c] for c in cols])
        return
    if out.mode == "plain":
        for row in rows:
            out.write("\t".join(_clean(str(row[c])) for c in cols))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table()
    table.add_column(by.upper())
    for col in ("ACTIVE", "DURATION", "PAUSED", "COUNT"):
        table.add_column(col, justify="right")
    sums = {c: sum(int(r[c]) for r in rows) for c in cols[1:]}
    for row in rows:
        table.add_row(
            escape(str(row[by])),
            fmt_duration(row["active_s"]),
            fmt_duration(row["duration_s"]),
            fmt_duration(row["paused_s"]),
            str(row["count"]),
        )
    table.add_section()
    table.add_row(
        "total",
        fmt_duration(sums["active_s"]),
        fmt_duration(sums["duration_s"]),
        fmt_duration(sums["paused_s"]),
        str(sums["count"]),
        style="bold",
    )
    console().print(table)


def _plain_fields(e: Record) -> list[str]:
    return [
        e["uid"],
        _clean(e["name"]),
        e["state"],
        str(e["layer"]),
        e["started_at"],
        e["ended_at"] or "-",
        str(e["duration_s"]),
        str(e["active_s"]),
    ]


def _walk(tl: tlm.Timeline, depth: int) -> Iterable[tuple[int, str, tlm.Timeline]]:
    for kind, sub in tlm.children(tl):
        yield depth, kind, sub
        yield from _walk(sub, depth + 1)


def _graph_lines(
    mindmap: dict[str, list[str]], roots: Iterable[str], states: dict[str, str]
) -> Iterable[tuple[int, str]]:
    # Depth-first without recursion, so a long chain cannot overflow the stack.
    shown: set[str] = set()
    on_path: set[str] = set()
    for root in roots:
        stack: list[tuple[str, int, bool]] = [(root, 0, False)]
        while stack:
            node, depth, leaving = stack.pop()
            if leaving:
                on_path.discard(node)
                continue
            label = f"{node} [{states.get(node, 'no process')}]"
            if node in on_path:
                yield depth, label + " (cycle)"
                continue
            if node in shown:
                yield depth, label + " (shown above)"
                continue
            shown.add(node)
            on_path.add(node)
            yield depth, label
            stack.append((node, depth, True))
            for nxt in reversed(mindmap.get(node, [])):
                stack.append((nxt, depth + 1, False))


def console() -> Any:
    """A rich console on stdout (rich honours ``NO_COLOR``)."""
    from rich.console import Console

    return Console(soft_wrap=False)
