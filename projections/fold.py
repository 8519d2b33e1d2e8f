"""The reference semantics: the plan on `as_of`, as recorded by `recorded_as_of`, by replay.

This is deliberately the slow, obvious way: take the entries recorded by `recorded_as_of`,
apply the corrections and retractions among them, lay the surviving entries' facts on a
time line and read it on `as_of`. Everything faster must agree with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from ledger.application import RecordedEntry
from ledger.changes import Change, EntryCorrected, EntryRetracted
from ledger.entry import parse_entry_id
from ledger.timeline import FactKey, Timeline, Version
from projections.plan import ProgrammePlan, assemble


def believed_entries(
    entries: Iterable[RecordedEntry], programme: str, recorded_as_of: datetime
) -> dict[int, tuple[date, Change]]:
    """Each entry's effective date and content as believed at `recorded_as_of`, by sequence."""
    believed: dict[int, tuple[date, Change]] = {}
    for recorded in entries:
        entry = recorded.entry
        if entry.programme != programme or recorded.recorded_at > recorded_as_of:
            continue
        change = entry.change
        if isinstance(change, EntryRetracted | EntryCorrected):
            target = parse_entry_id(change.target_entry or "")
            assert target is not None
            seq = target[1]
            if isinstance(change, EntryRetracted):
                believed.pop(seq, None)
            elif seq in believed:
                believed[seq] = (change.effective or believed[seq][0], change.replacement)
        else:
            believed[recorded.seq] = (entry.effective, change)
    return believed


def facts_at(
    entries: Iterable[RecordedEntry], programme: str, as_of: date, recorded_as_of: datetime
) -> dict[FactKey, Version]:
    """The facts in force on `as_of` as the ledger knew them at `recorded_as_of`."""
    timeline = Timeline()
    for seq, (effective, change) in sorted(believed_entries(entries, programme, recorded_as_of).items()):
        timeline.add(seq, effective, change.facts(seq))
    return timeline.snapshot(as_of)


def plan_at(
    entries: Iterable[RecordedEntry], programme: str, as_of: date, recorded_as_of: datetime
) -> ProgrammePlan | None:
    """The programme's plan by full replay."""
    return assemble(programme, facts_at(entries, programme, as_of, recorded_as_of), as_of, recorded_as_of)
