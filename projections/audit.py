"""The audit trail: every entry as recorded, who recorded it from which source, and what
later corrected or retracted it. Nothing here is ever hidden, only annotated."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ledger.belief import closed_target
from ledger.changes import Change, EntryCorrected, EntryRetracted
from ledger.codec import encode_change
from ledger.entry import RecordedEntry, entry_id
from ledger.values import Source


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of the log with its provenance and its later fate."""

    position: int
    entry_id: str
    programme: str
    type: str
    effective: date
    recorded_at: datetime
    recorded_by: str
    key: str
    source: Source | None
    deciding_body: str | None
    reason: str | None
    summary: str
    subjects: frozenset[str]
    # The change's JSON object, or the change itself: the in-memory log holds every entry
    # ever recorded, and encoding only the ones a page shows keeps about 0.4 KB an entry.
    content: dict[str, Any] | Change
    corrects: str | None = None
    corrected_by: tuple[str, ...] = ()
    retracted_by: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The change's JSON object (`{"type": ..., fields}`)."""
        return encode_change(self.content) if isinstance(self.content, Change) else self.content

    @property
    def operational(self) -> bool:
        """Recorded live without a source document."""
        return self.source is None


@dataclass(frozen=True)
class LogQuery:
    """Filters on the log; every field narrows the result."""

    programme: str | None = None
    types: frozenset[str] = frozenset()
    subject: str | None = None  # an actor, wave, reserve, ... slug the entry concerns
    subjects: frozenset[str] = frozenset()  # slugs the entry must concern, every one of them
    effective_from: date | None = None
    effective_to: date | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    after: int = 0  # only entries with a greater position
    first: int = 100
    before: int | None = None  # only entries with a smaller position
    last: int | None = None  # the last this many matches instead of the first (backward paging)

    def matches(self, entry: LogEntry) -> bool:
        """Whether the entry passes every filter but the paging ones."""
        checks = [
            self.programme is None or entry.programme == self.programme,
            not self.types or entry.type in self.types,
            self.subject is None or self.subject in entry.subjects,
            self.subjects <= entry.subjects,
            self.effective_from is None or entry.effective >= self.effective_from,
            self.effective_to is None or entry.effective <= self.effective_to,
            self.recorded_from is None or entry.recorded_at >= self.recorded_from,
            self.recorded_to is None or entry.recorded_at <= self.recorded_to,
        ]
        return all(checks)


@dataclass
class LogPage:
    """A page of the log, whether more follows it and (paging backward) whether more precedes it."""

    entries: list[LogEntry] = field(default_factory=list)
    has_more: bool = False
    has_previous: bool = False


def subjects_of(recorded: RecordedEntry) -> frozenset[str]:
    """Every slug an entry asserts facts about or refers to."""
    change = recorded.entry.change
    if isinstance(change, EntryCorrected):
        change = change.replacement
    found = {subject for (_kind, subject, _attr), _value in change.facts(recorded.seq)}
    found.update(slug for _kind, slug, _field in change.references())
    return frozenset(found)


def log_entry(recorded: RecordedEntry) -> LogEntry:
    """The log view of one recorded entry, before any later fate is known."""
    entry = recorded.entry
    change = entry.change
    corrects = change.target_entry if isinstance(change, EntryCorrected | EntryRetracted) else None
    return LogEntry(
        position=recorded.position,
        entry_id=recorded.entry_id,
        programme=entry.programme,
        type=entry.type,
        effective=entry.effective,
        recorded_at=recorded.recorded_at,
        recorded_by=entry.provenance.recorded_by,
        key=entry.key,
        source=entry.provenance.source,
        deciding_body=entry.provenance.deciding_body,
        reason=entry.provenance.reason,
        summary=change.describe(),
        subjects=subjects_of(recorded),
        content=change,
        corrects=corrects,
    )


@dataclass(frozen=True, slots=True)
class Fate:
    """A later entry that corrected or retracted a logged entry, at its log position."""

    position: int
    by: str
    retracts: bool


class AuditLog:
    """The log in position order, with each entry's corrections and retraction.

    Both lists only grow and a fate is recorded with its position, so a reader that holds an
    `AuditView` of the first N entries sees exactly the log as it stood then, while the
    writer goes on appending (no lock: appending to a list and setting a dict key are atomic).
    """

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []  # as first logged, with no fate
        self._by_id: dict[str, int] = {}
        self._fates: dict[int, tuple[Fate, ...]] = {}  # by index in `_entries`

    def apply(self, recorded: RecordedEntry) -> None:
        """Append the next recorded entry and note its fate on the entry it corrects or retracts."""
        view = log_entry(recorded)
        target = closed_target(recorded.entry.change)
        if target is not None:
            index = self._by_id[entry_id(recorded.entry.programme, target)]
            fate = Fate(recorded.position, view.entry_id, isinstance(recorded.entry.change, EntryRetracted))
            self._fates[index] = (*self._fates.get(index, ()), fate)
        self._by_id[view.entry_id] = len(self._entries)
        self._entries.append(view)

    def view(self) -> AuditView:
        """The log as it stands now, unchanged by later appends."""
        return AuditView(self, len(self._entries))

    # The questions, on the log as it stands now (for callers that are the only writer).

    def page(self, query: LogQuery) -> LogPage:
        return self.view().page(query)

    def count(self, query: LogQuery) -> int:
        return self.view().count(query)

    def entries(self, programme: str | None = None) -> Iterable[LogEntry]:
        return self.view().entries(programme)

    def entries_after(self, position: int) -> list[LogEntry]:
        return self.view().entries_after(position)

    def get(self, entry_id: str) -> LogEntry | None:
        return self.view().get(entry_id)


class AuditView:
    """The first `count` entries of an audit log, with the fates known by then."""

    def __init__(self, log: AuditLog, count: int) -> None:
        self._log = log
        self._count = count
        self.position = log._entries[count - 1].position if count else 0

    def _shown(self, index: int) -> LogEntry:
        entry = self._log._entries[index]
        fates = [fate for fate in self._log._fates.get(index, ()) if fate.position <= self.position]
        if not fates:
            return entry
        retracted = next((fate.by for fate in fates if fate.retracts), None)
        corrected = tuple(fate.by for fate in fates if not fate.retracts)
        return replace(entry, corrected_by=corrected, retracted_by=retracted)

    def page(self, query: LogQuery) -> LogPage:
        """The entries between `query.after` and `query.before` that match: the first `query.first`,
        or with `query.last` the last that many."""
        entries = self._log._entries
        start = _first_after(entries, query.after, self._count)
        end = self._count if query.before is None else _first_at(entries, query.before, self._count)
        page = LogPage()
        if query.last is not None:
            for index in range(end - 1, start - 1, -1):
                if not query.matches(entries[index]):
                    continue
                if len(page.entries) == query.last:
                    page.has_previous = True
                    break
                page.entries.append(self._shown(index))
            page.entries.reverse()
            return page
        for index in range(start, end):
            if not query.matches(entries[index]):
                continue
            if len(page.entries) == query.first:
                page.has_more = True
                break
            page.entries.append(self._shown(index))
        return page

    def count(self, query: LogQuery) -> int:
        """How many entries match the filters, whatever the paging."""
        entries = self._log._entries
        return sum(1 for index in range(self._count) if query.matches(entries[index]))

    def entries(self, programme: str | None = None) -> Iterable[LogEntry]:
        """Every entry, optionally of one programme."""
        entries = self._log._entries
        return (self._shown(i) for i in range(self._count) if programme is None or entries[i].programme == programme)

    def entries_after(self, position: int) -> list[LogEntry]:
        """Every entry with a greater position, in order (with its fate as known then)."""
        return [self._shown(i) for i in range(_first_after(self._log._entries, position, self._count), self._count)]

    def get(self, entry_id: str) -> LogEntry | None:
        """One entry by id."""
        index = self._log._by_id.get(entry_id)
        return None if index is None or index >= self._count else self._shown(index)


def _first_after(entries: Sequence[LogEntry], position: int, count: int) -> int:
    return bisect_right(entries, position, 0, count, key=lambda e: e.position)


def _first_at(entries: Sequence[LogEntry], position: int, count: int) -> int:
    return bisect_left(entries, position, 0, count, key=lambda e: e.position)
