"""The bitemporal index: every version of every fact, with its recorded interval.

A version is believed from the moment its entry (or the correction that made it) was
recorded until a later correction or retraction closed it. An as-of question bisects each
fact key's versions by effective date, then steps back past versions not believed at the
recorded time (rare: only corrected ones), so it costs O(facts x log versions).
"""

from __future__ import annotations

import sys
from bisect import bisect_right, insort
from dataclasses import dataclass
from datetime import date, datetime

from ledger.application import RecordedEntry
from ledger.changes import EntryCorrected, EntryRetracted
from ledger.entry import parse_entry_id
from ledger.timeline import FactKey, Version

LAST_SEQ = sys.maxsize


@dataclass
class IndexedVersion:
    """A fact version with the interval of recorded time in which it was believed."""

    effective: date
    seq: int
    value: object
    recorded_from: datetime
    position: int  # the log position of the entry (or correction) that stated this version
    ordinal: int  # its place among the facts of that entry, to order ties like the fold does
    recorded_to: datetime | None = None

    def believed_at(self, moment: datetime) -> bool:
        """Whether the ledger held this version at `moment`."""
        return self.recorded_from <= moment and (self.recorded_to is None or moment < self.recorded_to)


def _order(version: IndexedVersion) -> tuple[date, int]:
    return (version.effective, version.seq)


class ProgrammeIndex:
    """All fact versions of one programme."""

    def __init__(self) -> None:
        self.versions: dict[FactKey, list[IndexedVersion]] = {}
        self._open: dict[int, list[IndexedVersion]] = {}  # versions currently believed, by entry
        self._effective: dict[int, date] = {}  # current effective date of each entry

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry of the programme's log."""
        change = recorded.entry.change
        if isinstance(change, EntryRetracted | EntryCorrected):
            target = parse_entry_id(change.target_entry or "")
            assert target is not None
            seq = target[1]
            for version in self._open.pop(seq, []):
                version.recorded_to = recorded.recorded_at
            if isinstance(change, EntryCorrected):
                effective = change.effective or self._effective[seq]
                self._add(seq, effective, change.replacement.facts(seq), recorded)
        else:
            self._add(recorded.seq, recorded.entry.effective, change.facts(recorded.seq), recorded)

    def _add(self, seq: int, effective: date, facts: list[tuple[FactKey, object]], recorded: RecordedEntry) -> None:
        self._effective[seq] = effective
        opened = self._open.setdefault(seq, [])
        for ordinal, (key, value) in enumerate(facts):
            version = IndexedVersion(effective, seq, value, recorded.recorded_at, recorded.position, ordinal)
            insort(self.versions.setdefault(key, []), version, key=_order)
            opened.append(version)

    def at(self, key: FactKey, as_of: date, recorded_as_of: datetime) -> IndexedVersion | None:
        """The version of `key` in force on `as_of` as known at `recorded_as_of`."""
        versions = self.versions.get(key)
        if not versions:
            return None
        index = bisect_right(versions, (as_of, LAST_SEQ), key=_order)
        while index:
            index -= 1
            if versions[index].believed_at(recorded_as_of):
                return versions[index]
        return None

    def current_effective(self, seq: int) -> date | None:
        """An entry's effective date after corrections."""
        return self._effective.get(seq)

    def rows(self) -> list[tuple[FactKey, IndexedVersion]]:
        """Every version of every key (for copying into a database)."""
        return [(key, version) for key, versions in self.versions.items() for version in versions]

    def facts_at(self, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """Every fact in force on `as_of` as known at `recorded_as_of`."""
        found: dict[FactKey, Version] = {}
        for key in self.versions:
            version = self.at(key, as_of, recorded_as_of)
            if version is not None:
                found[key] = Version(version.effective, version.seq, version.value)
        return found


class BitemporalIndex:
    """The index of every programme, fed from the log in position order."""

    def __init__(self) -> None:
        self.programmes: dict[str, ProgrammeIndex] = {}

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry of the log."""
        self.programmes.setdefault(recorded.entry.programme, ProgrammeIndex()).apply(recorded)

    def facts_at(self, programme: str, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """The programme's facts in force; empty for an unknown programme."""
        index = self.programmes.get(programme)
        return {} if index is None else index.facts_at(as_of, recorded_as_of)
