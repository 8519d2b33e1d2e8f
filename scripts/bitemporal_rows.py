"""The rows a DBA's bitemporal table holds for a history: the benchmark's SQL peers load them.

Such a table keeps one row per fact version and rectangle of time: a valid period
[valid_from, valid_to) in which the version is the one in force, and a system period
[known_from, known_to) in which the database held that. "Every fact of P in force on D as known
at T" is then one containment test per row, with no "latest version" step. The rows are derived
from the read model's own fact versions (`ProgrammeIndex.rows`), so the peers answer exactly the
question ours does: a version is in force from its effective date until the next version of its
key (in the index's (effective, seq, ordinal) order) among those believed at the time.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from ledger.entry import RecordedEntry
from ledger.timeline import FactKey
from projections.fact_values import encode_value
from projections.index import BitemporalIndex, IndexedVersion


@dataclass(frozen=True, slots=True)
class BitemporalRow:
    """One version of one fact over one rectangle of valid and system time (None: unbounded)."""

    programme: str
    family: str
    subject: str
    attribute: str
    value: str  # the version's value as JSON
    valid_from: date
    valid_to: date | None
    known_from: datetime
    known_to: datetime | None


def bitemporal_rows(history: list[RecordedEntry]) -> Iterator[BitemporalRow]:
    """Every row of the table for `history`, key by key."""
    index = BitemporalIndex()
    for recorded in history:
        index.apply(recorded)
    for programme, programme_index in index.programmes.items():
        by_key: dict[FactKey, list[IndexedVersion]] = defaultdict(list)
        for key, version in programme_index.rows():
            by_key[key].append(version)
        for key, versions in by_key.items():
            yield from _KeyRows(programme, key).sweep(versions)


class _KeyRows:
    """Sweeps one key's openings and closings in system time, emitting each rectangle as it ends."""

    def __init__(self, programme: str, key: FactKey) -> None:
        self.programme, self.key = programme, key
        self.orders: list[tuple[date, int, int]] = []  # the believed versions, in force order
        self.believed: list[IndexedVersion] = []
        self.open: dict[int, tuple[date | None, datetime]] = {}  # id(version) -> (valid_to, known_from)
        self.done: list[BitemporalRow] = []

    def sweep(self, versions: list[IndexedVersion]) -> list[BitemporalRow]:
        # At one moment closings come first: a correction closes a version and opens its replacement.
        events = [(v.recorded_from, 1, n) for n, v in enumerate(versions)]
        events += [(v.recorded_to, 0, n) for n, v in enumerate(versions) if v.recorded_to is not None]
        for moment, opening, n in sorted(events):
            (self._believe if opening else self._forget)(versions[n], moment)
        for version in self.believed:
            self._end(version, None)
        return self.done

    def _believe(self, version: IndexedVersion, moment: datetime) -> None:
        order = (version.effective, version.seq, version.ordinal)
        place = bisect_right(self.orders, order)
        self.orders.insert(place, order)
        self.believed.insert(place, version)
        self._refresh(place - 1, moment)
        self._refresh(place, moment)

    def _forget(self, version: IndexedVersion, moment: datetime) -> None:
        place = bisect_left(self.orders, (version.effective, version.seq, version.ordinal))
        while self.believed[place] is not version:
            place += 1
        del self.orders[place], self.believed[place]
        self._end(version, moment)
        self._refresh(place - 1, moment)

    def _refresh(self, place: int, moment: datetime) -> None:
        """Make the open row of the version at `place` match its valid period now."""
        if not 0 <= place < len(self.believed):
            return
        version = self.believed[place]
        valid_to = self.orders[place + 1][0] if place + 1 < len(self.orders) else None
        current = self.open.get(id(version))
        if current is not None and current[0] == valid_to:
            return
        if current is not None:
            self._end(version, moment)
        if valid_to is None or valid_to > version.effective:  # a version overtaken on its own day is never in force
            self.open[id(version)] = (valid_to, moment)

    def _end(self, version: IndexedVersion, moment: datetime | None) -> None:
        current = self.open.pop(id(version), None)
        if current is None or current[1] == moment:  # nothing open, or open for no time at all
            return
        family, subject, attribute = self.key
        self.done.append(BitemporalRow(self.programme, family, subject, attribute,
                                       json.dumps(encode_value(version.value)), version.effective, current[0],
                                       current[1], moment))
