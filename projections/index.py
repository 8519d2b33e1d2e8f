"""The bitemporal index: every version of every fact, with its recorded interval.

A version is believed from the moment its entry (or the correction that made it) was
recorded until a later correction or retraction closed it. An as-of question bisects each
fact key's versions by effective date, then steps back past versions not believed at the
recorded time (rare: only corrected ones), so it costs O(facts x log versions).

Readers never share anything mutable with the writer. The writer (the catch-up) changes a
programme's table of fact keys and publishes it as a `ProgrammeFacts` after each batch;
from then on it copies before it writes: the table once per batch, and a key's version
lists the first time the batch touches that key. Closing a version replaces it with a
closed copy. So a published `ProgrammeFacts` answers every question the same way forever,
and no reader needs a lock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from ledger.belief import fact_changes
from ledger.entry import RecordedEntry
from ledger.timeline import FactKey, Orders, Version, in_force, insert_version


@dataclass(frozen=True, slots=True)
class IndexedVersion:
    """A fact version with the interval of recorded time in which it was believed."""

    public: Version  # the version as the read side's views take it
    recorded_from: datetime
    position: int  # the log position of the entry (or correction) that stated this version
    ordinal: int  # its place among the facts of that entry, to order ties like the fold does
    recorded_to: datetime | None = None

    @property
    def effective(self) -> date:
        return self.public.effective

    @property
    def seq(self) -> int:
        return self.public.seq

    @property
    def value(self) -> object:
        return self.public.value

    def believed_at(self, moment: datetime) -> bool:
        """Whether the ledger held this version at `moment`."""
        return self.recorded_from <= moment and (self.recorded_to is None or moment < self.recorded_to)


# A key's versions in (effective, seq) order with their sort keys (see `ledger.timeline.in_force`).
FactHistory = tuple[Orders, list[IndexedVersion]]


class ProgrammeFacts:
    """One programme's fact versions as published at a log position: never changed."""

    __slots__ = ("_histories",)

    def __init__(self, histories: Mapping[FactKey, FactHistory]) -> None:
        self._histories = histories

    def at(self, key: FactKey, as_of: date, recorded_as_of: datetime) -> IndexedVersion | None:
        """The version of `key` in force on `as_of` as known at `recorded_as_of`."""
        history = self._histories.get(key)
        if history is None:
            return None
        return in_force(history[0], history[1], as_of, believed=lambda version: version.believed_at(recorded_as_of))

    def facts_at(self, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """Every fact in force on `as_of` as known at `recorded_as_of`."""
        def believed(version: IndexedVersion) -> bool:
            return version.believed_at(recorded_as_of)

        found: dict[FactKey, Version] = {}
        for key, (orders, versions) in self._histories.items():
            version = in_force(orders, versions, as_of, believed=believed)
            if version is not None:
                found[key] = version.public
        return found

    def rows(self) -> list[tuple[FactKey, IndexedVersion]]:
        """Every version of every key (for copying into a database)."""
        return [(key, version) for key, (_orders, versions) in self._histories.items() for version in versions]


class ProgrammeIndex:
    """The writer's side of one programme's versions: applies entries, publishes snapshots."""

    def __init__(self) -> None:
        self._histories: dict[FactKey, FactHistory] = {}
        self._table_published = False
        self._drafted: set[FactKey] = set()  # keys whose lists this batch already copied
        self._open: dict[int, list[FactKey]] = {}  # keys with a version currently believed, by entry
        self._effective: dict[int, date] = {}  # current effective date of each entry

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry of the programme's log."""
        changes = fact_changes(recorded.entry, recorded.seq, self._effective.get)
        if changes.closes is not None:
            self._close(changes.closes, recorded.recorded_at)
        if not changes.retracts:
            self._add(changes.seq, changes.effective, changes.opens, recorded)

    def publish(self) -> ProgrammeFacts:
        """A snapshot of everything applied so far; later writes go to copies."""
        self._table_published = True
        self._drafted.clear()
        return ProgrammeFacts(self._histories)

    def current_effective(self, seq: int) -> date | None:
        """An entry's effective date after corrections."""
        return self._effective.get(seq)

    def rows(self) -> list[tuple[FactKey, IndexedVersion]]:
        """Every version of every key (for copying into a database)."""
        return ProgrammeFacts(self._histories).rows()

    def _writable(self, key: FactKey) -> FactHistory:
        if self._table_published:
            self._histories = dict(self._histories)
            self._table_published = False
        if key not in self._drafted:
            old = self._histories.get(key)
            self._histories[key] = ([], []) if old is None else (list(old[0]), list(old[1]))
            self._drafted.add(key)
        return self._histories[key]

    def _add(self, seq: int, effective: date, facts: Iterable[tuple[FactKey, object]], recorded: RecordedEntry) -> None:
        self._effective[seq] = effective
        opened = self._open.setdefault(seq, [])
        for ordinal, (key, value) in enumerate(facts):
            orders, versions = self._writable(key)
            insert_version(orders, versions, (effective, seq), IndexedVersion(
                Version(effective, seq, value), recorded.recorded_at, recorded.position, ordinal))
            opened.append(key)

    def _close(self, seq: int, moment: datetime) -> None:
        effective = self._effective.get(seq)
        if effective is None:
            return
        for key in dict.fromkeys(self._open.pop(seq, [])):
            orders, versions = self._writable(key)
            index = bisect_left(orders, (effective, seq))
            while index < len(orders) and orders[index] == (effective, seq):
                if versions[index].recorded_to is None:
                    versions[index] = replace(versions[index], recorded_to=moment)
                index += 1


class BitemporalIndex:
    """The index of every programme, fed from the log in position order."""

    def __init__(self) -> None:
        self.programmes: dict[str, ProgrammeIndex] = {}
        self._published: dict[str, ProgrammeFacts] = {}
        self._touched: set[str] = set()

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry of the log."""
        programme = recorded.entry.programme
        self.programmes.setdefault(programme, ProgrammeIndex()).apply(recorded)
        self._touched.add(programme)

    def publish(self) -> dict[str, ProgrammeFacts]:
        """Every programme's facts as applied so far, to hand to readers (a new dict each time)."""
        for programme in self._touched:
            self._published[programme] = self.programmes[programme].publish()
        self._touched.clear()
        return dict(self._published)

    def facts_at(self, programme: str, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """The programme's facts in force; empty for an unknown programme."""
        index = self.programmes.get(programme)
        return {} if index is None else index.publish().facts_at(as_of, recorded_as_of)
