"""Facts on a time line: what each entry asserts, and what is true on a given day.

Every entry asserts a few facts, each under a key `(kind, subject, attribute)`, for example
`("actor", "trondheim", "wave") = "pd1"`. On day D the value of a key is its version with the
greatest (effective, sequence) whose effective date is on or before D. A `Timeline` holds
the versions of the entries currently believed (corrections applied, retractions removed),
and answers "value on day D" by bisection. The write side keeps one to check invariants;
the read side's bitemporal index adds the recorded-time axis on top of the same idea.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.belief import FactChanges

FactKey = tuple[str, str, str]
LAST_SEQ = sys.maxsize  # sorts after every real entry sequence on the same day


@dataclass(frozen=True)
class Version:
    """One value of a fact key, asserted by entry `seq` with effect from `effective`."""

    effective: date
    seq: int
    value: object

    @property
    def order(self) -> tuple[date, int]:
        """Versions of a key are ordered by effective date, then by entry sequence."""
        return (self.effective, self.seq)


def _order(version: Version) -> tuple[date, int]:
    return version.order


class Timeline:
    """The versions of every fact key, kept sorted so that lookups bisect."""

    def __init__(self) -> None:
        self._versions: dict[FactKey, list[Version]] = {}
        self._by_seq: dict[int, list[tuple[FactKey, Version]]] = {}
        self._attributes: dict[tuple[str, str], set[str]] = {}
        self._effective: dict[int, date] = {}  # each believed entry's current effective date

    def apply(self, changes: FactChanges) -> None:
        """Apply one entry's belief changes (see `ledger.belief`)."""
        if changes.closes is not None:
            self.remove(changes.closes)
        if not changes.retracts:
            self.add(changes.seq, changes.effective, changes.opens)

    def effective_of(self, seq: int) -> date | None:
        """Entry `seq`'s effective date as currently believed; None if it states nothing now."""
        return self._effective.get(seq)

    def add(self, seq: int, effective: date, facts: Iterable[tuple[FactKey, object]]) -> None:
        """Add the facts asserted by entry `seq`."""
        added = self._by_seq.setdefault(seq, [])
        self._effective[seq] = effective
        for key, value in facts:
            version = Version(effective, seq, value)
            insort(self._versions.setdefault(key, []), version, key=_order)
            self._attributes.setdefault(key[:2], set()).add(key[2])
            added.append((key, version))

    def remove(self, seq: int) -> list[tuple[FactKey, Version]]:
        """Take out every fact of entry `seq` (a retraction or the old side of a correction)."""
        removed = self._by_seq.pop(seq, [])
        self._effective.pop(seq, None)
        for key, version in removed:
            versions = self._versions[key]
            # By identity, found by bisection: equal-valued versions may exist, and comparing
            # values from the front of a long list made every rollback linear.
            start = bisect_left(versions, version.order, key=_order)
            index = next(i for i in range(start, len(versions)) if versions[i] is version)
            del versions[index]
            if not versions:
                del self._versions[key]
                self._attributes[key[:2]].discard(key[2])
        return removed

    def restore(self, seq: int, removed: list[tuple[FactKey, Version]]) -> None:
        """Put back what `remove` returned (used to roll back a rejected change)."""
        self.remove(seq)
        for key, version in removed:
            insort(self._versions.setdefault(key, []), version, key=_order)
            self._attributes.setdefault(key[:2], set()).add(key[2])
        if removed:
            self._by_seq[seq] = removed
            self._effective[seq] = removed[0][1].effective

    def at(self, key: FactKey, day: date, through_seq: int = LAST_SEQ) -> Version | None:
        """The version of `key` in force on `day` (counting entries up to `through_seq` that day)."""
        versions = self._versions.get(key)
        if not versions:
            return None
        index = bisect_right(versions, (day, through_seq), key=_order)
        return versions[index - 1] if index else None

    def value(self, key: FactKey, day: date) -> object:
        """The value of `key` on `day`, or None."""
        version = self.at(key, day)
        return None if version is None else version.value

    def versions(self, key: FactKey) -> list[Version]:
        """All versions of `key`, oldest effective first."""
        return list(self._versions.get(key, ()))

    def attributes(self, kind: str, subject: str) -> set[str]:
        """The attribute names that hold facts for a subject."""
        return set(self._attributes.get((kind, subject), ()))

    def exists(self, kind: str, subject: str) -> bool:
        """Whether the subject has been registered (its profile fact exists)."""
        return (kind, subject, "profile") in self._versions

    def subjects(self, kind: str) -> Iterator[str]:
        """Every registered subject of a kind."""
        for (fact_kind, subject), attributes in self._attributes.items():
            if fact_kind == kind and "profile" in attributes:
                yield subject

    def keys(self) -> Iterator[FactKey]:
        """Every fact key with at least one version."""
        return iter(self._versions)

    def snapshot_of(self, keys: Iterable[FactKey], day: date, through_seq: int = LAST_SEQ) -> dict[FactKey, Version]:
        """The versions of just these keys in force on `day` (see `snapshot`)."""
        found = {key: self.at(key, day, through_seq) for key in keys}
        return {key: version for key, version in found.items() if version is not None}

    def snapshot(self, day: date, through_seq: int = LAST_SEQ) -> dict[FactKey, Version]:
        """Every key's version in force on `day`; with `through_seq`, right after that entry took effect."""
        found = {key: self.at(key, day, through_seq) for key in self._versions}
        return {key: version for key, version in found.items() if version is not None}
