"""The programme aggregate: one event stream per programme, one event per ledger entry.

Its state is the list of entries as currently believed (corrections applied), the
idempotency keys, and the retracted sequences. The time line of facts used to check rules
is derived from that list on first use and kept up to date after; it is not part of the
snapshot, so snapshots stay a plain list of entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ledger import rules
from ledger.belief import fact_changes, target_seq
from ledger.changes import (
    Change,
    DecisionRecorded,
    EntryCorrected,
    EntryRetracted,
    ProgrammeRegistered,
)
from ledger.entry import Entry, entry_id, parse_entry_id
from ledger.errors import InvalidInput, InvariantViolated, KeyConflict, LedgerError, UnknownReference
from ledger.timeline import Timeline

LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://programme-ledger.invalid/programme")
META_TYPES = (EntryCorrected, EntryRetracted)


def programme_id(slug: str) -> UUID:
    """The deterministic aggregate id of a programme."""
    return uuid5(LEDGER_NAMESPACE, slug)


class ProgrammeLedger(Aggregate):
    """Every entry of one programme, in recording order (sequence 1 registers it)."""

    class Snapshot(Aggregate.Snapshot):  # type: ignore[valid-type, misc]
        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            snapshot.state.pop("_timeline", None)  # derived; rebuilt on first use
            return snapshot

    class Opened(Aggregate.Created):
        entry: Entry
        digest: str

    class Recorded(Aggregate.Event):
        entry: Entry
        digest: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ProgrammeLedger)
            aggregate._append(self.entry, self.digest)

    def __init__(self, entry: Entry, digest: str) -> None:
        self.programme = entry.programme
        self.entries: list[Entry] = []
        self.keys: dict[str, list[Any]] = {}  # key -> [sequence, content digest]
        self.retracted: dict[str, int] = {}  # sequence -> retracting sequence
        self._append(entry, digest)

    # -- commands ----------------------------------------------------------------------

    @classmethod
    def open(cls, entry: Entry, digest: str) -> ProgrammeLedger:
        """Start a programme's stream with its registration entry."""
        if not isinstance(entry.change, ProgrammeRegistered):
            raise UnknownReference(
                f"programme {entry.programme!r} is not registered; its first entry must be "
                "ProgrammeRegistered",
                field="programme",
            )
        return cls._create(cls.Opened, id=programme_id(entry.programme), entry=entry, digest=digest)

    def existing(self, entry: Entry, digest: str) -> int | None:
        """The sequence of an entry already recorded under the same key and content.

        Raises KeyConflict when the key is known with different content.
        """
        known = self.keys.get(entry.key)
        if known is None:
            return None
        if known[1] != digest:
            raise KeyConflict(
                f"key {entry.key!r} was already used for entry "
                f"{entry_id(self.programme, known[0])} with different content",
                field="key",
            )
        return int(known[0])

    def resolve(self, entry: Entry) -> Entry:
        """The entry with a correction's or retraction's target filled in as an entry id.

        The content digest is taken of the resolved entry, so naming the target by key or by
        id (as an export does) is the same content.
        """
        change = entry.change
        if not isinstance(change, META_TYPES):
            return entry
        return replace(entry, change=replace(change, target_entry=entry_id(self.programme, self._locate(change))))

    def record(self, entry: Entry, digest: str) -> int:
        """Check the (resolved) entry against every rule, then append it; returns its sequence."""
        if isinstance(entry.change, ProgrammeRegistered):
            raise InvariantViolated(f"programme {self.programme!r} is already registered")
        entry = self.resolve(entry)
        if isinstance(entry.change, META_TYPES):
            self._check_target(entry.change)
        self._check(entry)
        self.trigger_event(self.Recorded, entry=entry, digest=digest)
        return len(self.entries)

    # -- checks ------------------------------------------------------------------------

    def _locate(self, change: EntryCorrected | EntryRetracted) -> int:
        by_key = by_id = None
        if change.target_key is not None:
            found = self.keys.get(change.target_key)
            if found is None:
                raise UnknownReference(f"no entry has key {change.target_key!r}", field="target_key")
            by_key = int(found[0])
        if change.target_entry is not None:
            parsed = parse_entry_id(change.target_entry)
            if parsed is None or parsed[0] != self.programme or not 1 <= parsed[1] <= len(self.entries):
                raise UnknownReference(
                    f"entry {change.target_entry!r} does not exist in {self.programme!r}",
                    field="target_entry",
                )
            by_id = parsed[1]
        if by_key is None and by_id is None:
            raise InvalidInput("name the entry to change with target_key or target_entry")
        if by_key is not None and by_id is not None and by_key != by_id:
            raise InvalidInput("target_key and target_entry name different entries")
        seq = by_key if by_key is not None else by_id
        assert seq is not None
        return seq

    def _check_target(self, change: EntryCorrected | EntryRetracted) -> None:
        seq = self._locate(change)
        target = self.entries[seq - 1]
        if isinstance(target.change, META_TYPES):
            raise InvalidInput(
                f"entry {entry_id(self.programme, seq)} is itself a {target.type}; "
                "correct or retract the original entry instead"
            )
        if str(seq) in self.retracted:
            raise InvariantViolated(f"entry {entry_id(self.programme, seq)} is already retracted")

    def _check(self, entry: Entry) -> None:
        """Raise the first rule the entry breaks; leaves the time line as it was.

        The entry's fact changes (ledger.belief) are tried on the time line: what it closes
        is taken out, what it opens is put in, and the rules look at the result.
        """
        seq = len(self.entries) + 1
        changes = fact_changes(entry, seq, self.timeline.effective_of)
        if changes.closes is None:
            self._check_change(seq, changes.effective, entry.change)
            return
        if changes.corrects:
            self._check_replacement_type(entry.change)
        with self._tentative(changes.closes) as removed:
            subjects = rules.touched_subjects(removed)
            if changes.corrects:
                assert isinstance(entry.change, EntryCorrected)
                try:
                    self._check_change(changes.seq, changes.effective, entry.change.replacement)
                except LedgerError as error:
                    raise error.at("replacement") from None
                self.timeline.add(changes.seq, changes.effective, changes.opens)
            rules.check_registration_removed(self.timeline, subjects)
            rules.check_after(self.timeline, subjects, changes.seq, _earliest(removed))

    def _check_change(self, seq: int, effective: date, change: Change) -> None:
        parts = change.changes if isinstance(change, DecisionRecorded) else (change,)
        with self._tentative(seq):
            for index, part in enumerate(parts):
                try:
                    if part.STANDALONE and part is not change:
                        raise InvalidInput(f"a {part.TYPE} cannot be part of a decision")
                    rules.check_before(self.timeline, part, effective)
                    facts = part.facts(seq)
                    self.timeline.add(seq, effective, facts)
                    rules.check_after(self.timeline, rules.touched_subjects(facts), seq, effective)
                except LedgerError as error:
                    raise (error.at(f"changes[{index}]") if part is not change else error) from None

    def _check_replacement_type(self, change: Change) -> None:
        assert isinstance(change, EntryCorrected)
        target = self.entries[target_seq(change) - 1]
        if type(change.replacement) is not type(target.change):
            raise InvalidInput(
                f"entry {change.target_entry} is a {target.type}; the replacement must be one too, "
                f"not a {change.replacement.TYPE}",
                field="replacement.type",
            )

    @contextmanager
    def _tentative(self, seq: int) -> Iterator[list[Any]]:
        """Take out entry `seq`'s facts for a trial, and always put the time line back."""
        removed = self.timeline.remove(seq)
        try:
            yield removed
        finally:
            self.timeline.restore(seq, removed)

    # -- state -------------------------------------------------------------------------

    @property
    def timeline(self) -> Timeline:
        """The facts of the entries currently believed, built on first use."""
        timeline = self.__dict__.get("_timeline")
        if timeline is None:
            timeline = Timeline()
            for seq, entry in enumerate(self.entries, start=1):
                if str(seq) not in self.retracted and not isinstance(entry.change, META_TYPES):
                    timeline.apply(fact_changes(entry, seq, timeline.effective_of))
            self.__dict__["_timeline"] = timeline
        return timeline

    def _append(self, entry: Entry, digest: str) -> None:
        seq = len(self.entries) + 1
        self.entries.append(entry)
        self.keys[entry.key] = [seq, digest]
        live = self.__dict__.get("_timeline")
        if live is not None:
            live.apply(fact_changes(entry, seq, live.effective_of))
        change = entry.change
        # The believed entry list (what snapshots hold) follows the same correction meaning.
        if isinstance(change, EntryRetracted):
            self.retracted[str(target_seq(change))] = seq
        elif isinstance(change, EntryCorrected):
            target = target_seq(change)
            old = self.entries[target - 1]
            self.entries[target - 1] = replace(
                old, change=change.replacement, effective=change.effective or old.effective)


def _earliest(removed: list[Any]) -> date:
    """The earliest effective date among removed (key, version) pairs."""
    return min((version.effective for _key, version in removed), default=date.min)
