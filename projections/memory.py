"""The in-memory read model: the bitemporal index, the audit log and the raw log, kept
current by reading the store after the last position seen.

It answers the same questions, with the same signatures, as the PostgreSQL read model.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from ledger.application import LedgerApplication, RecordedEntry
from projections.audit import AuditLog, AuditView, LogPage, LogQuery
from projections.compare import Comparison, baseline_date, compare
from projections.history import Revision, actor_history
from projections.index import BitemporalIndex, ProgrammeFacts
from projections.plan import END_OF_TIME, ProgrammePlan, assemble, known, require_actor

SETTLE_AFTER = 10_000


def settle_heap() -> None:
    """Move everything alive now out of the cyclic garbage collector's sight.

    A read model holds millions of long-lived objects; without this, every collection walks
    them all and an as-of question at 1M entries took 2-4 times as long as at 10k.
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class ReadView:
    """The read model as it stood at one log position: every question, answered from it alone.

    The catch-up publishes a new view after each batch and replaces the model's reference to
    it; a question takes the view once and so never sees a batch half applied.
    """

    position: int
    facts: Mapping[str, ProgrammeFacts]
    audit: AuditView
    _log: list[RecordedEntry]
    _log_count: int

    @property
    def log(self) -> list[RecordedEntry]:
        """Every recorded entry up to this view's position."""
        return self._log[: self._log_count]

    def programme_ids(self) -> list[str]:
        """Every programme the log has seen."""
        return sorted(self.facts)

    def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        """The programme's plan on `as_of` as known at `recorded_as_of`; None if unknown then."""
        found = self.facts.get(programme)
        facts = {} if found is None else found.facts_at(as_of, recorded_as_of)
        return assemble(programme, facts, as_of, recorded_as_of)

    def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        """Every programme known on `as_of` at `recorded_as_of`."""
        plans = (self.plan(p, as_of, recorded_as_of) for p in self.programme_ids())
        return [plan for plan in plans if plan is not None]

    def require_plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
        """The plan, or an error naming the programme when it is not known then."""
        return known(self.plan(programme, as_of, recorded_as_of), programme, as_of)

    def comparison(
        self, programme: str, baseline: str, against: date, recorded_as_of: datetime
    ) -> Comparison:
        """The baseline (a name or a date) against the plan and go-lives on `against`."""
        latest = self.require_plan(programme, END_OF_TIME, recorded_as_of)
        day = baseline_date(baseline, latest)
        before = self.require_plan(programme, day, recorded_as_of)
        return compare(baseline, before, self.require_plan(programme, against, recorded_as_of))

    def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        """Every entry that changed the actor's plan, with the plan it left."""
        require_actor(self.require_plan(programme, END_OF_TIME, recorded_as_of), actor)
        return actor_history(self.log, self.audit, programme, actor, recorded_as_of)

    def log_page(self, query: LogQuery) -> LogPage:
        """A filtered page of the audit trail."""
        return self.audit.page(query)


class InMemoryReadModel:
    """Every as-of answer from the index; the log for audit and history.

    One writer (`apply`, `catch_up`) and any number of readers in other threads: readers
    ask `view` (or the shortcuts below, which each take the current view once).
    """

    def __init__(self) -> None:
        self._index = BitemporalIndex()
        self._audit = AuditLog()
        self._log: list[RecordedEntry] = []
        self._lock = threading.Lock()
        self.view = self._publish()

    @property
    def position(self) -> int:
        """The log position readers see."""
        return self.view.position

    @property
    def audit(self) -> AuditView:
        """The audit trail as readers see it now."""
        return self.view.audit

    @property
    def log(self) -> list[RecordedEntry]:
        """Every recorded entry readers see now."""
        return self.view.log

    def apply(self, recorded: RecordedEntry) -> None:
        """Take in the next entry (positions must increase); readers see it after `publish`."""
        if self._log and recorded.position <= self._log[-1].position:
            return  # already seen: catching up twice must not double anything
        self._index.apply(recorded)
        self._audit.apply(recorded)
        self._log.append(recorded)

    def publish(self) -> ReadView:
        """Show readers everything applied so far."""
        self.view = self._publish()
        return self.view

    def _publish(self) -> ReadView:
        audit = self._audit.view()
        return ReadView(audit.position, self._index.publish(), audit, self._log, len(self._log))

    def catch_up(self, app: LedgerApplication, batch: int = 5000) -> int:
        """Read and apply everything recorded after the current position; returns how many.

        Readers see each batch whole once it is applied, never part of one.
        """
        with self._lock:
            taken = 0
            while chunk := app.read(self._log[-1].position if self._log else 0, batch):
                for recorded in chunk:
                    self.apply(recorded)
                self.publish()
                taken += len(chunk)
            if taken >= SETTLE_AFTER:
                settle_heap()
            return taken

    # -- questions, each on the view current when it is asked --------------------------

    def programme_ids(self) -> list[str]:
        return self.view.programme_ids()

    def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        return self.view.plan(programme, as_of, recorded_as_of)

    def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        return self.view.programmes(as_of, recorded_as_of)

    def require_plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
        return self.view.require_plan(programme, as_of, recorded_as_of)

    def comparison(self, programme: str, baseline: str, against: date, recorded_as_of: datetime) -> Comparison:
        return self.view.comparison(programme, baseline, against, recorded_as_of)

    def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        return self.view.actor_history(programme, actor, recorded_as_of)

    def log_page(self, query: LogQuery) -> LogPage:
        return self.view.log_page(query)
