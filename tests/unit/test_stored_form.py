"""Stored entries come back exactly as they were validated and written, for every entry type."""

from __future__ import annotations

import re
from pathlib import Path

from ledger.codec import encode_entry
from ledger.importer import parse_lines
from ledger.stored import decode_stored_entry

README = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_readme_example_reads_back_from_its_stored_form_unchanged() -> None:
    examples = re.findall(r"```jsonl\n(.*?)```", README, flags=re.S)[0]
    entries, _lines, errors = parse_lines(examples, recorded_by="someone")
    assert not errors
    types = set()
    for entry in entries:
        stored = encode_entry(entry)
        assert decode_stored_entry(stored) == entry, entry.type
        assert encode_entry(decode_stored_entry(stored)) == stored, entry.type
        types.add(entry.type)
    assert len(types) >= 20  # the README shows every type (checked in tests/test_readme.py)
