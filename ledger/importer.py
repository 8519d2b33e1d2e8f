"""Import entries from JSON Lines: validate the whole file, then write it in one transaction.

If any line is bad nothing is written, and every bad line is reported with its number.
A line without a key gets one derived from its content, so re-running an import adds
nothing. Format: docs/import-format.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ledger.application import LedgerApplication, Progress
from ledger.codec import RECORDED, decode_entry
from ledger.entry import Entry
from ledger.errors import ImportRejected, InvalidInput, LedgerError, LineError

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
        return path.read_text(encoding="utf-8"), str(path)
    if name_or_path in bundled_datasets():
        dataset = resources.files("ledger") / DATASETS / f"{name_or_path}.jsonl"
        return dataset.read_text(encoding="utf-8"), f"bundled dataset {name_or_path!r}"
    known = ", ".join(bundled_datasets()) or "none"
    raise InvalidInput(
        f"{name_or_path!r} is neither a file nor a bundled dataset (bundled: {known})", field="path"
    )


def parse_lines(text: str, recorded_by: str) -> tuple[list[Entry], list[int], list[LineError]]:
    """Decode every line; returns the entries, their line numbers and the bad lines."""
    entries: list[Entry] = []
    numbers: list[int] = []
    errors: list[LineError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw: Any = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(LineError(number, InvalidInput.code, f"not valid JSON: {error.msg} at column {error.colno}"))
            continue
        try:
            # An exported operational entry (no source) carries its `recorded` block.
            require_source = not (isinstance(raw, dict) and RECORDED in raw)
            entries.append(decode_entry(raw, recorded_by=recorded_by, require_source=require_source))
            numbers.append(number)
        except LedgerError as error:
            errors.append(LineError(number, error.code, str(error)))
    return entries, numbers, errors


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
