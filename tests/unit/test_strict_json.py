"""The strict JSON reader: what it refuses, and that it reads everything else exactly as json.loads does."""

from __future__ import annotations

import json

import pytest

from ledger.errors import InvalidInput
from ledger.strict_json import MAX_DEPTH, loads


@pytest.mark.parametrize("text", [
    '{"a": [1, 2.5, "x", null, true]}',
    '"\\ud83d\\ude00"',  # a surrogate pair is one character, not a lone surrogate
    '"brackets inside a string are not nesting: ' + "[{" * 100 + '"',
    "[" * MAX_DEPTH + "]" * MAX_DEPTH,
    '{"key \\" with [ quote": "\\\\"}',
])
def test_what_json_loads_reads_is_read_the_same(text: str) -> None:
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize(("raw", "words"), [
    (b'"\xff"', "is not UTF-8: byte 0xff at offset 1"),
    (b'"\xed\xa0\x80"', "is not UTF-8: byte 0xed"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels deep"),
    ('{"a": ' * 100_000 + "1" + "}" * 100_000, "nested more than 64 levels deep"),
    ('"\\ud800"', "lone surrogate \\ud800"),
    ('{"\\udc00": 1}', "lone surrogate \\udc00"),
    ('["ok", {"deep": ["\\uDBFF"]}]', "lone surrogate \\udbff"),
    ("1" * 5000, "is not JSON the ledger can read"),
    ("{", "is not valid JSON"),
])
def test_what_the_ledger_cannot_hold_is_refused_saying_why(raw: str | bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        loads(raw)
    assert words in refused.value.message
