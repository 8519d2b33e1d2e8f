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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ledger.belief import FactChanges

FactKey = tuple[str, str, str]
V = TypeVar("V")
LAST_SEQ = sys.maxsize  # sorts after every real entry sequence on the same day


@dataclass(frozen=True, slots=True)
class Version:
    """One value of a fact key, asserted by entry `seq` with effect from `effective`."""

    effective: date
    seq: int
    value: object

    @property
    def order(self) -> tuple[date, int]:
        """Versions of a key are ordered by effective date, then by entry sequence."""
        return (self.effective, self.seq)


# A key's versions in (effective, seq) order, with their sort keys alongside so that
# lookups bisect plain tuples in C.
Orders = list[tuple[date, int]]


def in_force(
    orders: Orders, versions: Sequence[V], day: date, through_seq: int = LAST_SEQ,
    believed: Callable[[V], bool] | None = None,
) -> V | None:
    """The version in force on `day`: the last by (effective, seq) on or before it that is believed.

    The one lookup of "the version in force": the write side's time line asks it with every
    version believed; the read side's bitemporal index passes `believed` for the recorded-time
    axis ("was this version held at T?"). `orders[i]` is the sort key of `versions[i]`.
    """
    index = bisect_right(orders, (day, through_seq))
    if believed is None:
        return versions[index - 1] if index else None
    while index:
        index -= 1
        if believed(versions[index]):
            return versions[index]
    return None


def insert_version(orders: Orders, versions: list[V], order: tuple[date, int], version: V) -> None:
    """Put a version in its place: after every version of the same (effective, seq) already there."""
    place = bisect_right(orders, order)
    orders.insert(place, order)
    versions.insert(place, version)


class Timeline:
    """The versions of every fact key, kept sorted so that lookups bisect."""

    def __init__(self) -> None:
        self._versions: dict[FactKey, tuple[Orders, list[Version]]] = {}
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
            self._insert(key, version)
            added.append((key, version))

    def _insert(self, key: FactKey, version: Version) -> None:
        orders, versions = self._versions.setdefault(key, ([], []))
        insert_version(orders, versions, version.order, version)
        self._attributes.setdefault(key[:2], set()).add(key[2])

    def remove(self, seq: int) -> list[tuple[FactKey, Version]]:
        """Take out every fact of entry `seq` (a retraction or the old side of a correction)."""
        removed = self._by_seq.pop(seq, [])
        self._effective.pop(seq, None)
        for key, version in removed:
            orders, versions = self._versions[key]
            # By identity, found by bisection: equal-valued versions may exist, and comparing
            # values from the front of a long list made every rollback linear.
            start = bisect_left(orders, version.order)
            index = next(i for i in range(start, len(versions)) if versions[i] is version)
            del orders[index]
            del versions[index]
            if not versions:
                del self._versions[key]
                self._attributes[key[:2]].discard(key[2])
        return removed

    def restore(self, seq: int, removed: list[tuple[FactKey, Version]]) -> None:
        """Put back what `remove` returned (used to roll back a rejected change)."""
        self.remove(seq)
        for key, version in removed:
            self._insert(key, version)
        if removed:
            self._by_seq[seq] = removed
            self._effective[seq] = removed[0][1].effective

    def at(self, key: FactKey, day: date, through_seq: int = LAST_SEQ) -> Version | None:
        """The version of `key` in force on `day` (counting entries up to `through_seq` that day)."""
        history = self._versions.get(key)
        return None if history is None else in_force(history[0], history[1], day, through_seq)

    def value(self, key: FactKey, day: date) -> object:
        """The value of `key` on `day`, or None."""
        version = self.at(key, day)
        return None if version is None else version.value

    def versions(self, key: FactKey) -> list[Version]:
        """All versions of `key`, oldest effective first."""
        history = self._versions.get(key)
        return [] if history is None else list(history[1])

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
