"""The reference semantics: the plan on `as_of`, as recorded by `recorded_as_of`, by replay.

This is deliberately the slow, obvious way: take the entries recorded by `recorded_as_of`,
apply the corrections and retractions among them, lay the surviving entries' facts on a
time line and read it on `as_of`. Everything faster must agree with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from ledger.belief import fact_changes
from ledger.entry import RecordedEntry
from ledger.timeline import FactKey, Timeline, Version
from projections.plan import ProgrammePlan, assemble


def believed_timeline(entries: Iterable[RecordedEntry], programme: str, recorded_as_of: datetime) -> Timeline:
    """The time line of the programme's facts as believed at `recorded_as_of`, by replay."""
    timeline = Timeline()
    for recorded in entries:
        if recorded.entry.programme == programme and recorded.recorded_at <= recorded_as_of:
            timeline.apply(fact_changes(recorded.entry, recorded.seq, timeline.effective_of))
    return timeline


def facts_at(
    entries: Iterable[RecordedEntry], programme: str, as_of: date, recorded_as_of: datetime
) -> dict[FactKey, Version]:
    """The facts in force on `as_of` as the ledger knew them at `recorded_as_of`."""
    return believed_timeline(entries, programme, recorded_as_of).snapshot(as_of)


def plan_at(
    entries: Iterable[RecordedEntry], programme: str, as_of: date, recorded_as_of: datetime
) -> ProgrammePlan | None:
    """The programme's plan by full replay."""
    return assemble(programme, facts_at(entries, programme, as_of, recorded_as_of), as_of, recorded_as_of)
