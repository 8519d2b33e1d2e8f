"""What a recorded entry means for belief, said in exactly one place.

An entry turns into fact changes: it opens versions of fact keys (believed from its
recording), and a correction or retraction first closes the versions that its target entry
stated (from the correction's recording). A correction then opens the replacement's
versions under the target's sequence; a retraction opens nothing. Every reader (the
aggregate's time line, the fold, the in-memory index, the audit marks, the PostgreSQL
projector and rebuild) applies these changes; none works out the meaning again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ledger.changes import Change, EntryCorrected, EntryRetracted
from ledger.entry import Entry, parse_entry_id
from ledger.timeline import FactKey


@dataclass(frozen=True, slots=True)
class FactChanges:
    """The belief changes of one recorded entry.

    `seq` is the entry whose statement the opened versions belong to: the entry itself, or
    the target of a correction. `closes` names the entry whose open versions stop being
    believed at this recording (None for an ordinary entry).
    """

    seq: int
    effective: date
    opens: tuple[tuple[FactKey, object], ...]
    closes: int | None = None
    retracts: bool = False

    @property
    def corrects(self) -> bool:
        """Whether this entry replaces another entry's content."""
        return self.closes is not None and not self.retracts


def target_seq(change: EntryCorrected | EntryRetracted) -> int:
    """The sequence of the entry a stored correction or retraction names (always resolved)."""
    parsed = parse_entry_id(change.target_entry or "")
    if parsed is None:
        raise ValueError(f"{change.TYPE} names no resolved target entry")
    return parsed[1]


def closed_target(change: Change) -> int | None:
    """The entry whose versions `change` closes: a correction's or retraction's target, else None.

    Cheap (it states no facts), for readers that only need to know what an entry ends.
    """
    return target_seq(change) if isinstance(change, EntryCorrected | EntryRetracted) else None


def stated_facts(entry: Entry, seq: int) -> tuple[tuple[FactKey, object], ...]:
    """The facts entry `seq` states: its own, a correction's replacement's, none for a retraction.

    For readers that ask which subjects an entry concerns, not when it takes effect.
    """
    return fact_changes(entry, seq, lambda _seq: None).opens


def fact_changes(entry: Entry, seq: int, effective_of: Callable[[int], date | None]) -> FactChanges:
    """The fact changes of `entry`, recorded as sequence `seq`.

    `effective_of(n)` is what is believed before: entry n's current effective date, which a
    correction keeps when it does not state a new one.
    """
    change: Change = entry.change
    target = closed_target(change)
    if target is None:
        return FactChanges(seq, entry.effective, tuple(change.facts(seq)))
    if isinstance(change, EntryRetracted):
        return FactChanges(target, effective_of(target) or entry.effective, (), closes=target, retracts=True)
    assert isinstance(change, EntryCorrected)
    effective = change.effective or effective_of(target) or entry.effective
    return FactChanges(target, effective, tuple(change.replacement.facts(target)), closes=target)
