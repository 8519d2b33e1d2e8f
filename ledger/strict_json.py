"""Reading JSON from outside (import lines, HTTP bodies) so that no input can reach a traceback.

Python's `json` module accepts things the ledger must refuse or cannot survive: bytes that are
not UTF-8, escapes that decode to a lone surrogate (`"\\ud800"`, which no UTF-8 store or hash
can hold), and nesting so deep that the parser, or any later code walking the value, runs out
of stack. `loads` refuses each of these with an `InvalidInput` that says which, and otherwise
returns exactly what `json.loads` would.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ledger.errors import InvalidInput

# Deeper than any entry or GraphQL request needs, far below the interpreter's recursion limit.
MAX_DEPTH = 64
# An escape that could start or end a surrogate pair; only then are strings checked one by one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def decode_utf8(raw: bytes) -> str:
    """`raw` as strict UTF-8; the error names the first bad byte and its offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start:error.start + 1].hex()
        raise InvalidInput(f"is not UTF-8: byte 0x{bad} at offset {error.start} ({error.reason})") from None


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing bad UTF-8, lone surrogates and nesting deeper than `max_depth`."""
    if isinstance(text, bytes):
        text = decode_utf8(text)
    if _brackets(text) > max_depth and _depth_of_text(text) > max_depth:
        # Checked on the text first, so a 100,000-deep document never reaches the parser.
        raise InvalidInput(f"is nested more than {max_depth} levels deep")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"is not valid JSON: {error.msg} at column {error.colno}") from None
    except ValueError as error:  # an integer longer than Python converts (4,300 digits)
        raise InvalidInput(f"is not JSON the ledger can read: {error}") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(value)
    return value


def _brackets(text: str) -> int:
    """An upper bound on the nesting depth, counted at C speed."""
    return text.count("[") + text.count("{")


def _depth_of_text(text: str) -> int:
    """The deepest nesting of arrays and objects, skipping brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_lone_surrogates(value: Any) -> None:
    """Raise if any string (key or value) holds a surrogate that is not part of a pair."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                raise InvalidInput(
                    f"holds a lone surrogate \\u{ord(item[error.start]):04x}, which is not a character"
                ) from None
