"""Import entries from JSON Lines: validate the whole file, then write it in one transaction.

If any line is bad nothing is written, and every bad line is reported with its number.
A line without a key gets one derived from its content, so re-running an import adds
nothing. Format: docs/import-format.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.application import LedgerApplication, Progress
from ledger.codec import RECORDED, decode_entry
from ledger.entry import Entry
from ledger.errors import ImportRejected, InvalidInput, LedgerError, LineError
from ledger.strict_json import loads

# Bytes that are not UTF-8 are kept as these escapes when a file is read, so that each one is
# reported on its own line instead of the whole file failing to decode.
_UNDECODABLE = re.compile("[\udc80-\udcff]")

DATASETS = "datasets"


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    added: int
    already_present: int

    @property
    def total(self) -> int:
        """Entries in the file."""
        return self.added + self.already_present


def bundled_datasets() -> list[str]:
    """Names of the datasets shipped with the package."""
    folder = resources.files("ledger") / DATASETS
    return sorted(item.name.removesuffix(".jsonl") for item in folder.iterdir() if item.name.endswith(".jsonl"))


def resolve_source(name_or_path: str) -> tuple[str, str]:
    """The text and a display name of an import file, or of a bundled dataset by name."""
    path = Path(name_or_path)
    if path.is_file():
        return path.read_bytes().decode("utf-8", "surrogateescape"), str(path)
    if name_or_path in bundled_datasets():
        dataset = resources.files("ledger") / DATASETS / f"{name_or_path}.jsonl"
        return dataset.read_bytes().decode("utf-8", "surrogateescape"), f"bundled dataset {name_or_path!r}"
    known = ", ".join(bundled_datasets()) or "none"
    raise InvalidInput(
        f"{name_or_path!r} is neither a file nor a bundled dataset (bundled: {known})", field="path"
    )


EXPORT_BLOCK = frozenset({"position", "entry", "recorded_at", "recorded_by"})


def _is_export_block(block: object) -> bool:
    """Whether a line's `recorded` block is what `ledger export` writes (see ledger.exporter)."""
    return isinstance(block, dict) and block.keys() >= EXPORT_BLOCK and bool(block.get("recorded_by"))


def parse_lines(text: str, recorded_by: str) -> tuple[list[Entry], list[int], list[LineError]]:
    """Decode every line; returns the entries, their line numbers and the bad lines."""
    entries: list[Entry] = []
    numbers: list[int] = []
    errors: list[LineError] = []
    # JSON Lines ends lines with \n only: splitlines() would also cut at U+2028 and other
    # separators that may stand inside a JSON string.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw: Any = loads(_checked_utf8(line))
        except InvalidInput as error:
            errors.append(LineError(number, error.code, f"the line {error.message}"))
            continue
        try:
            # An exported operational entry (no source) carries its `recorded` block, which
            # says where and by whom it was first recorded; an empty block proves nothing.
            require_source = not (isinstance(raw, dict) and _is_export_block(raw.get(RECORDED)))
            entries.append(decode_entry(raw, recorded_by=recorded_by, require_source=require_source))
            numbers.append(number)
        except LedgerError as error:
            errors.append(LineError(number, error.code, str(error)))
    return entries, numbers, errors


def _checked_utf8(line: str) -> str:
    """The line, unless it holds a byte that was not UTF-8 (see `resolve_source`)."""
    if bad := _UNDECODABLE.search(line):
        byte = ord(bad.group()) - 0xDC00
        raise InvalidInput(f"is not UTF-8: byte 0x{byte:02x} at column {bad.start() + 1}")
    return line


def import_text(
    app: LedgerApplication, text: str, *, recorded_by: str, progress: Progress | None = None,
    writing: Progress | None = None,
) -> ImportResult:
    """Validate and record every line of `text`; all or nothing.

    `progress` follows the checking of the lines and `writing` the saving of the new entries.
    """
    entries, numbers, errors = parse_lines(text, recorded_by)
    receipts = []
    if errors:
        # Still check the readable lines, so the report lists every bad line at once.
        errors.extend(app.check_many(entries, lines=numbers))
    else:
        try:
            receipts = app.record_many(entries, lines=numbers, progress=progress, writing=writing)
        except ImportRejected as rejected:
            errors.extend(rejected.errors)
    if errors:
        # Decoding and rule errors together, in file order.
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    added = sum(1 for receipt in receipts if receipt.added)
    return ImportResult(added=added, already_present=len(receipts) - added)
