"""The in-memory read model: the bitemporal index, the audit log and the raw log, kept
current by reading the store after the last position seen.

It is a port of the read service (projections/service.py), as the PostgreSQL read model is;
its `ReadView` is the fact source of one question.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING

from ledger.entry import RecordedEntry
from ledger.timeline import FactKey, Version
from projections.audit import AuditLog, AuditView, LogEntry, LogPage, LogQuery
from projections.baseline_history import BaselineRevision
from projections.compare import Comparison
from projections.costs import CostReport
from projections.history import Revision
from projections.index import BitemporalIndex, ProgrammeFacts
from projections.plan import ProgrammePlan
from projections.service import ReadService, answered
from projections.trend import MilestoneTrend

if TYPE_CHECKING:  # the write side is loaded only by whoever hands one in
    from ledger.application import LedgerApplication

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
    it; a question takes the view once and so never sees a batch half applied. Its async
    methods never wait.
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

    # -- the read service's FactSource, answered at once from this view -----------------

    async def programme_ids(self) -> list[str]:
        """Every programme the log has seen."""
        return sorted(self.facts)

    async def facts_at(self, programme: str, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """The programme's facts in force; empty for an unknown programme."""
        found = self.facts.get(programme)
        return {} if found is None else found.facts_at(as_of, recorded_as_of)

    async def programme_log(self, programme: str) -> tuple[list[RecordedEntry], AuditView]:
        """The programme's recorded entries and the audit trail, as of this view."""
        return [r for r in islice(self._log, self._log_count) if r.entry.programme == programme], self.audit

    async def log_page(self, query: LogQuery) -> LogPage:
        """A filtered page of the audit trail."""
        return self.audit.page(query)

    async def log_count(self, query: LogQuery) -> int:
        """How many entries of the audit trail match the query's filters."""
        return self.audit.count(query)

    async def entry(self, entry_id: str) -> LogEntry | None:
        """One entry of the audit trail by id."""
        return self.audit.get(entry_id)


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
        self._closed = False
        self.view = self._publish()
        self.service = ReadService(self)

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
            if self._closed:
                return 0
            while chunk := app.read(self._log[-1].position if self._log else 0, batch):
                for recorded in chunk:
                    self.apply(recorded)
                self.publish()
                # What a batch added lives as long as the model: keep the collector from
                # walking it again on every later collection (a rebuild spent a third of
                # its time there).
                gc.freeze()
                taken += len(chunk)
            if taken >= SETTLE_AFTER:
                settle_heap()
            return taken

    def close(self) -> None:
        """Wait for a catch-up in progress and take in nothing more, so the store can be closed:
        a SQLite connection closed under a reading thread crashes the process."""
        with self._lock:
            self._closed = True

    def source(self) -> ReadView:
        """What one question reads: the view published last."""
        return self.view

    # -- the read service's questions, asked synchronously (the CLI, tests) -------------

    def programme_ids(self) -> list[str]:
        return answered(self.view.programme_ids())

    def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        return answered(self.service.plan(programme, as_of, recorded_as_of))

    def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        return answered(self.service.programmes(as_of, recorded_as_of))

    def require_plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
        return answered(self.service.require_plan(programme, as_of, recorded_as_of))

    def costs(self, programme: str, as_of: date, recorded_as_of: datetime) -> CostReport:
        return answered(self.service.costs(programme, as_of, recorded_as_of))

    def comparison(self, programme: str, baseline: str, against: date, recorded_as_of: datetime) -> Comparison:
        return answered(self.service.comparison(programme, baseline, against, recorded_as_of))

    def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        return answered(self.service.actor_history(programme, actor, recorded_as_of))

    def baseline_history(self, programme: str, recorded_as_of: datetime) -> list[BaselineRevision]:
        return answered(self.service.baseline_history(programme, recorded_as_of))

    def log_page(self, query: LogQuery) -> LogPage:
        return answered(self.service.log_page(query))

    def milestone_trend(
        self, programme: str, actors: list[str], waves: list[str], recorded_as_of: datetime, report_date: str,
    ) -> MilestoneTrend:
        return answered(self.service.milestone_trend(programme, actors, waves, recorded_as_of, report_date))
