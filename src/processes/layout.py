"""The byte layout proc writes its store in: one record a line.

    {"processes":{
    "0-3f9a":{"name":"writing","uid":"0-3f9a","timeline":{...}},
    "1-a3f2":{"name":"Training","uid":"1-a3f2","timeline":{...}}
    },"mindmap":{...}}

It is the seed's JSON format, byte for byte valid JSON, and it lets a command
work on the few records it touches without decoding the others: a record is
found by searching for ``\\n"<uid>":``, the active ones by searching for
``"terminated":-1`` (which can only appear outside a string), and a change is
spliced into the old bytes. Compact JSON never contains a raw newline, so a
line is always exactly one record. These functions are used only on bytes that
proc itself wrote (see the store's stamp); anything else is decoded in full.
"""

from __future__ import annotations

from . import codec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

HEAD = b'{"processes":{\n'
ACTIVE_MARK = b'"terminated":-1'
SEP = b",\n"


class LayoutError(ValueError):
    """The bytes are not in proc's layout (the caller decodes them in full instead)."""


def encode_record(uid: str, record: Any, many: bool = False) -> bytes:
    """One line: ``"<uid>":<compact record>`` (no separator)."""
    return b'"' + uid.encode("ascii") + b'":' + codec.dumps_compact(record, many)


def encode_tail(doc: dict[str, Any]) -> bytes:
    """What follows the records' closing line: ``}`` plus the other top-level keys."""
    rest = {k: v for k, v in doc.items() if k != "processes"}
    if not rest:
        return b"}}\n"
    return b"}," + codec.dumps_compact(rest)[1:] + b"\n"


def encode(doc: dict[str, Any]) -> bytes:
    """A whole document in the layout."""
    procs = doc.get("processes", {})
    many = len(procs) > 200
    lines = SEP.join(encode_record(uid, rec, many) for uid, rec in procs.items())
    return HEAD + lines + (b"\n" if lines else b"") + encode_tail(doc)


class Layout:
    """Read access to bytes in the layout, without decoding the records."""

    def __init__(self, raw: bytes) -> None:
        if not raw.startswith(HEAD):
            raise LayoutError("not in proc's layout")
        close = raw.find(b"\n}", len(HEAD) - 1)
        if close < 0:
            raise LayoutError("no end of the records")
        self.raw = raw
        self.start = len(HEAD)  # first byte of the first record line
        self.close = close  # the newline before the closing brace
        if close < self.start:  # no records: HEAD is directly followed by "}"
            self.close = self.start - 1

    @property
    def region(self) -> bytes:
        """The record lines joined by ``,\\n`` (empty when there are none)."""
        return self.raw[self.start : self.close] if self.close > self.start else b""

    def tail(self) -> dict[str, Any]:
        """The top-level keys other than ``processes``."""
        rest = self.raw[self.close + 2 :].strip()
        if rest in (b"", b"}"):
            return {}
        if not rest.startswith(b","):
            raise LayoutError("unexpected bytes after the records")
        value = codec.loads(b"{" + rest[1:])
        if not isinstance(value, dict):
            raise LayoutError("the top level is not an object")
        return value

    def span(self, uid: str) -> tuple[int, int] | None:
        """``(start, end)`` of the line holding ``uid`` (without its separator)."""
        key = b'\n"' + uid.encode("ascii", "replace") + b'":'
        at = self.raw.find(key, self.start - 1, self.close + 1)
        if at < 0:
            return None
        begin = at + 1
        end = self.raw.find(b"\n", begin)
        if end < 0 or end > self.close:
            end = self.close
        if self.raw[end - 1 : end] == b",":
            end -= 1
        return begin, end

    def record_at(self, span: tuple[int, int]) -> tuple[str, Any]:
        """``(uid, record)`` of the line at ``span``."""
        line = self.raw[span[0] : span[1]]
        colon = line.index(b'":')
        return line[1:colon].decode("ascii"), codec.loads_exact(line[colon + 2 :])

    def active_spans(self) -> Iterator[tuple[int, int]]:
        """Spans of the lines that may hold an active record (a superset of them)."""
        raw, pos, stop = self.raw, self.start, self.close
        while True:
            hit = raw.find(ACTIVE_MARK, pos, stop)
            if hit < 0:
                return
            begin = raw.rfind(b"\n", 0, hit) + 1
            end = raw.find(b"\n", hit)
            if end < 0 or end > stop:
                end = stop
            pos = end
            if raw[end - 1 : end] == b",":
                end -= 1
            yield begin, end

    def splice(
        self, edits: dict[tuple[int, int], bytes], added: list[bytes], tail: bytes | None
    ) -> bytes:
        """New bytes: each span in ``edits`` replaced (``b""`` deletes the line),
        ``added`` lines appended, and the tail replaced when given."""
        raw = self.raw
        closing = raw[self.close + 1 :] if tail is None else tail
        view = memoryview(raw)
        pieces: list[bytes | memoryview] = [HEAD]
        pos = self.start
        for (begin, end), new in sorted(edits.items()):
            pieces.append(view[pos:begin])
            pieces.append(new)
            pos = end
        pieces.append(view[pos : max(pos, self.close)])
        if all(edits.values()):
            # No line deleted: one copy of the old bytes, into the new ones.
            has_lines = self.close > self.start or bool(added)
            if added:
                if self.close > self.start:
                    pieces.append(SEP)
                pieces.append(SEP.join(added))
            pieces.append(b"\n" if has_lines else b"")
            pieces.append(closing)
            return b"".join(pieces)
        # A deleted line leaves its separator behind (rare: removals mostly go
        # through a full decode); squeeze the doubled ones out.
        region = b"".join(pieces[1:])
        while SEP + SEP in region:
            region = region.replace(SEP + SEP, SEP)
        if region.startswith(SEP):
            region = region[len(SEP) :]
        if region.endswith(SEP):
            region = region[: -len(SEP)]
        if added:
            extra = SEP.join(added)
            region = region + SEP + extra if region else extra
        return HEAD + region + (b"\n" if region else b"") + closing
