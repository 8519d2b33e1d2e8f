"""What the reference fold answers after the first entries of a log, at any log position.

Tests of readers running during a catch-up need the fold's answer at each position a reader
could have seen. The fold is a left fold, so one time line and one audit log are stepped
forward through the log instead of replaying every prefix from the start; asking about an
earlier position than the last starts them again. Answers are cached per position.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from typing import TypeVar

from ledger.belief import fact_changes
from ledger.entry import RecordedEntry
from ledger.timeline import Timeline
from projections.audit import AuditLog, LogPage, LogQuery
from projections.compare import Comparison, baseline_date, compare
from projections.history import Revision, actor_history
from projections.plan import END_OF_TIME, ProgrammePlan, assemble

T = TypeVar("T")


class PrefixFold:
    """The fold's plans, comparisons, histories and log pages of one programme, by log position."""

    def __init__(self, log: Sequence[RecordedEntry], programme: str, recorded_as_of: datetime) -> None:
        self._log = log
        self._positions = [recorded.position for recorded in log]
        self.programme = programme
        self.recorded_as_of = recorded_as_of
        self._cache: dict[tuple[Hashable, ...], object] = {}
        self._restart()

    def _restart(self) -> None:
        self._timeline = Timeline()
        self._audit = AuditLog()
        self._count = 0  # how many entries of the log the time line and audit log hold

    def _step_to(self, position: int) -> None:
        """Hold exactly the entries up to `position` (as `believed_timeline` would, one at a time)."""
        count = bisect_right(self._positions, position)
        if count < self._count:
            self._restart()
        for recorded in self._log[self._count:count]:
            if recorded.entry.programme == self.programme and recorded.recorded_at <= self.recorded_as_of:
                self._timeline.apply(fact_changes(recorded.entry, recorded.seq, self._timeline.effective_of))
            self._audit.apply(recorded)
        self._count = count

    def _cached(self, key: tuple[Hashable, ...], position: int, compute: Callable[[], T]) -> T:
        if (*key, position) not in self._cache:
            self._step_to(position)
            self._cache[(*key, position)] = compute()
        return self._cache[(*key, position)]  # type: ignore[return-value]

    def plan(self, as_of: date, position: int) -> ProgrammePlan | None:
        """The plan on `as_of` after the entries up to `position`."""
        def compute() -> ProgrammePlan | None:
            return assemble(self.programme, self._timeline.snapshot(as_of), as_of, self.recorded_as_of)
        return self._cached(("plan", as_of), position, compute)

    def known_plan(self, as_of: date, position: int) -> ProgrammePlan:
        plan = self.plan(as_of, position)
        assert plan is not None, f"{self.programme} is not known on {as_of} at position {position}"
        return plan

    def comparison(self, baseline: str, against: date, position: int) -> Comparison:
        """The baseline (a name or a date) against the plan on `against`, from fold plans."""
        def compute() -> Comparison:
            day = baseline_date(baseline, self.known_plan(END_OF_TIME, position))
            return compare(baseline, self.known_plan(day, position), self.known_plan(against, position))
        return self._cached(("comparison", baseline, against), position, compute)

    def history(self, actor: str, position: int) -> list[Revision]:
        """The actor's history over the log up to `position` and an audit log built from it."""
        def compute() -> list[Revision]:
            log = self._log[:self._count]
            return actor_history(log, self._audit.view(), self.programme, actor, self.recorded_as_of)
        return self._cached(("history", actor), position, compute)

    def log_page(self, query: LogQuery, position: int) -> LogPage:
        """A page of an audit log built from the entries up to `position`."""
        return self._cached(("log", query), position, lambda: self._audit.view().page(query))
