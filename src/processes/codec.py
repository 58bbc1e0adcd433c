"""JSON encoding and decoding of the store, choosing the codec by size.

Measured on the reference machine (docs/performance.md): importing orjson costs
more than the stdlib's json, but it decodes and encodes large stores several
times faster. Small stores therefore use the stdlib and large ones orjson; both
give the same data. Collecting garbage is switched off while decoding, since the
collector would otherwise walk the growing heap again and again.
"""

from __future__ import annotations

import gc

TYPE_CHECKING = False  # typing costs start-up time; only type checkers need it
if TYPE_CHECKING:
    from typing import Any

BIG = 256 * 1024
"""From this many bytes on, orjson is used."""


class DecodeError(ValueError):
    """The bytes are not a JSON document; the message says where."""


# orjson reads an integer beyond 64 bits as a float, and refuses lone surrogates
# (valid JSON escapes the stdlib reads and writes). A document with a run of 19
# digits, or one orjson refuses, is therefore decoded by the stdlib, exactly.
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19


def _orjson_exact(data: bytes) -> bool:
    return data.translate(_DIGITS).find(_LONG_NUMBER) < 0


def loads(data: bytes) -> Any:
    """Decode a JSON document from UTF-8 bytes (a BOM is an error)."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise DecodeError("starts with a UTF-8 byte-order mark, which JSON does not allow")
    if not data.strip():
        raise DecodeError("empty file (a store is a JSON object; a crashed writer leaves this)")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if len(data) >= BIG and _orjson_exact(data):
            import orjson

            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass  # the stdlib reads lone surrogates, and words a real fault precisely
        import json

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"not UTF-8 text (byte {exc.start})") from None
        try:
            return json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
        except json.JSONDecodeError as exc:
            raise DecodeError(
                f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise DecodeError("malformed JSON: nested too deeply") from None
    finally:
        if was_enabled:
            gc.enable()


def loads_exact(data: bytes) -> Any:
    """Decode one small JSON value written by proc (a store line), exactly.

    The stdlib: for a few lines its import costs a fraction of orjson's, which
    also loads dataclasses, uuid and datetime when it starts.
    """
    import json

    return json.loads(data.decode("utf-8"))


def _finite(text: str) -> float:
    # As orjson does: a number too large for a double (1e999) is an error, not inf,
    # which no JSON writer could write back.
    value = float(text)
    if value in (float("inf"), float("-inf")):
        import json

        raise json.JSONDecodeError(f"number {text} is too large", text, 0)
    return value


def _reject_constant(name: str) -> Any:
    import json

    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def dumps(doc: Any) -> bytes:
    """Encode a document as indented UTF-8 JSON ending in a newline.

    orjson at every size: the stdlib's indenting encoder is pure Python and
    costs more than importing orjson already at a thousand records.
    """
    import orjson

    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
    except TypeError:
        pass  # e.g. a lone surrogate read by the stdlib decoder: stay lossless
    import json

    # allow_nan=False: NaN or Infinity written out would make a store no reader accepts.
    return (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode("ascii")


def dumps_compact(value: Any, many: bool = False) -> bytes:
    """Compact JSON with no newline and no spaces (one store line).

    The stdlib's C encoder for a few values (a cheap import); orjson when
    ``many`` values are being encoded, where its speed outweighs its import.
    """
    if many:
        import orjson

        try:
            return orjson.dumps(value)
        except TypeError:
            pass  # a lone surrogate or a huge integer: the stdlib writes it exactly
    import json

    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
            "utf-8"
        )
    except UnicodeEncodeError:  # a lone surrogate: escape it, stay lossless
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")
