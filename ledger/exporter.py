"""Export the log as JSON Lines in the import format, with each entry's recording data.

Importing an export into an empty ledger re-creates the same entries under the same ids
(sequences are per programme and keys are kept), so every as-of answer is the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ledger import suggest
from ledger.application import LedgerApplication, Progress
from ledger.codec import RECORDED, encode_entry
from ledger.entry import RecordedEntry


def export_line(recorded: RecordedEntry) -> str:
    """One entry as an import line, plus a `recorded` block the importer ignores."""
    data = encode_entry(recorded.entry, with_recorder=False)
    data[RECORDED] = {
        "position": recorded.position,
        "entry": recorded.entry_id,
        "recorded_at": recorded.recorded_at.isoformat(),
        "recorded_by": recorded.entry.provenance.recorded_by,
    }
    return json.dumps(data, ensure_ascii=False)


def export_lines(
    app: LedgerApplication, programme: str | None = None, batch: int = 5000, progress: Progress | None = None,
) -> Iterator[str]:
    """Every entry in position order, read in batches so memory stays flat.

    `progress(position, last position)` follows the reading. A `programme` the log never saw
    is NOT_FOUND (with the closest ids) once the whole log has been read and nothing yielded.
    """
    after = 0
    total = app.last_position() if progress else 0
    seen: set[str] = set()
    while chunk := app.read(after, batch):
        for recorded in chunk:
            seen.add(recorded.entry.programme)
            if programme is None or recorded.entry.programme == programme:
                yield export_line(recorded)
        after = chunk[-1].position
        if progress:
            progress(after, total)
    if programme is not None and programme not in seen:
        raise suggest.unknown(f"no programme {programme!r} in the ledger", programme, seen, "programme")
