"""The bitemporal index: every version of every fact, with its recorded interval.

A version is believed from the moment its entry (or the correction that made it) was
recorded until a later correction or retraction closed it. An as-of question bisects each
fact key's versions by effective date, then steps back past versions not believed at the
recorded time (rare: only corrected ones), so it costs O(facts x log versions).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ledger.application import RecordedEntry
from ledger.belief import fact_changes
from ledger.timeline import LAST_SEQ, FactKey, Version


@dataclass(slots=True)
class IndexedVersion:
    """A fact version with the interval of recorded time in which it was believed."""

    effective: date
    seq: int
    value: object
    recorded_from: datetime
    position: int  # the log position of the entry (or correction) that stated this version
    ordinal: int  # its place among the facts of that entry, to order ties like the fold does
    recorded_to: datetime | None = None

    @property
    def public(self) -> Version:
        """The version as the read side's views take it."""
        return Version(self.effective, self.seq, self.value)

    def believed_at(self, moment: datetime) -> bool:
        """Whether the ledger held this version at `moment`."""
        return self.recorded_from <= moment and (self.recorded_to is None or moment < self.recorded_to)


class ProgrammeIndex:
    """All fact versions of one programme."""

    def __init__(self) -> None:
        self.versions: dict[FactKey, list[IndexedVersion]] = {}
        # The sort keys of `versions`, kept alongside so lookups bisect plain tuples in C.
        self._orders: dict[FactKey, list[tuple[date, int]]] = {}
        self._public: dict[int, Version] = {}  # id(IndexedVersion) -> its Version, made once
        self._open: dict[int, list[IndexedVersion]] = {}  # versions currently believed, by entry
        self._effective: dict[int, date] = {}  # current effective date of each entry

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry of the programme's log."""
        changes = fact_changes(recorded.entry, recorded.seq, self._effective.get)
        if changes.closes is not None:
            for version in self._open.pop(changes.closes, []):
                version.recorded_to = recorded.recorded_at
        if not changes.retracts:
            self._add(changes.seq, changes.effective, changes.opens, recorded)

    def _add(self, seq: int, effective: date, facts: Iterable[tuple[FactKey, object]], recorded: RecordedEntry) -> None:
        self._effective[seq] = effective
        opened = self._open.setdefault(seq, [])
        for ordinal, (key, value) in enumerate(facts):
            version = IndexedVersion(effective, seq, value, recorded.recorded_at, recorded.position, ordinal)
            orders = self._orders.setdefault(key, [])
            place = bisect_right(orders, (effective, seq))
            orders.insert(place, (effective, seq))
            self.versions.setdefault(key, []).insert(place, version)
            self._public[id(version)] = version.public
            opened.append(version)

    def at(self, key: FactKey, as_of: date, recorded_as_of: datetime) -> IndexedVersion | None:
        """The version of `key` in force on `as_of` as known at `recorded_as_of`."""
        versions = self.versions.get(key)
        if not versions:
            return None
        index = bisect_right(self._orders[key], (as_of, LAST_SEQ))
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
        bound = (as_of, LAST_SEQ)
        public = self._public
        for key, versions in self.versions.items():
            index = bisect_right(self._orders[key], bound)
            while index:
                index -= 1
                version = versions[index]
                if version.recorded_from <= recorded_as_of and (
                    version.recorded_to is None or recorded_as_of < version.recorded_to
                ):
                    found[key] = public[id(version)]
                    break
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
