"""The read service: every question users ask, written once over a port that finds facts.

The port is a read model: the in-memory index or PostgreSQL. A question takes one `FactSource`
from it (for the in-memory model, the view published after the last batch) and asks only that
source, so its answer belongs to one log position. The API, the CLI and the web page ask this
service; none of them knows which read model answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar

import anyio

from ledger.entry import RecordedEntry
from ledger.timeline import FactKey, Version
from projections.audit import AuditView, LogEntry, LogPage, LogQuery
from projections.baseline_history import BaselineRevision, baseline_history
from projections.compare import Comparison, baseline_date, compare
from projections.costs import CostReport, cost_report
from projections.history import Revision, actor_history
from projections.plan import END_OF_TIME, ProgrammePlan, assemble, known, require_actor
from projections.trend import MilestoneTrend, milestone_trend

T = TypeVar("T")


class FactSource(Protocol):
    """What a question needs from a read model, all at one log position."""

    async def programme_ids(self) -> list[str]: ...

    async def facts_at(self, programme: str, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]: ...

    async def programme_log(self, programme: str) -> tuple[list[RecordedEntry], AuditView]: ...

    async def log_page(self, query: LogQuery) -> LogPage: ...

    async def log_count(self, query: LogQuery) -> int: ...

    async def entry(self, entry_id: str) -> LogEntry | None: ...


class ReadModel(Protocol):
    """A read model the service can ask: its position and a source for one question."""

    @property
    def position(self) -> int: ...

    def source(self) -> FactSource: ...


class Pinned:
    """A read model held at the source its first question took, until `release`.

    One GraphQL request asks several questions (a programme and an actor's history, say); over
    a pinned model they all see the same log position.
    """

    def __init__(self, model: ReadModel) -> None:
        self._model = model
        self._source: FactSource | None = None

    @property
    def position(self) -> int:
        return self._model.position

    def source(self) -> FactSource:
        if self._source is None:
            self._source = self._model.source()
        return self._source

    def release(self) -> None:
        """Let the next question take the current source (after this request wrote something)."""
        self._source = None


class ReadService:
    """Plans, costs, comparisons, histories and the audit trail, from any read model."""

    def __init__(self, model: ReadModel, *, offload: bool = False) -> None:
        """With `offload`, the long pure computations (histories, trends) run in a worker thread,
        so a server's event loop keeps answering meanwhile; synchronous callers leave it off."""
        self.model = model
        self.offload = offload

    def pinned(self) -> ReadService:
        """This service held at one source for a whole request (see `Pinned`)."""
        return ReadService(Pinned(self.model), offload=self.offload)

    def release(self) -> None:
        """After a write: let the next question see it (a no-op unless pinned)."""
        if isinstance(self.model, Pinned):
            self.model.release()

    async def _compute(self, function: Callable[..., T], *args: Any) -> T:
        if self.offload:
            return await anyio.to_thread.run_sync(functools.partial(function, *args))
        return function(*args)

    @property
    def position(self) -> int:
        """The log position the read model has taken in."""
        return self.model.position

    async def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        """The programme's plan on `as_of` as known at `recorded_as_of`; None if unknown then."""
        return await _plan(self.model.source(), programme, as_of, recorded_as_of)

    async def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        """Every programme known on `as_of` at `recorded_as_of`."""
        source = self.model.source()
        plans = [await _plan(source, p, as_of, recorded_as_of) for p in await source.programme_ids()]
        return [plan for plan in plans if plan is not None]

    async def require_plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
        """The plan, or an error naming the programme when it is not known then."""
        return await _require_plan(self.model.source(), programme, as_of, recorded_as_of)

    async def costs(self, programme: str, as_of: date, recorded_as_of: datetime) -> CostReport:
        """Budgets, estimates, costs to date and variances per scope, beside the reserves."""
        return cost_report(await _require_plan(self.model.source(), programme, as_of, recorded_as_of))

    async def comparison(self, programme: str, baseline: str, against: date, recorded_as_of: datetime) -> Comparison:
        """The baseline (a name or a date) against the plan and go-lives on `against`."""
        comparison, _plan_on_against = await self.comparison_and_plan(programme, baseline, against, recorded_as_of)
        return comparison

    async def comparison_and_plan(
        self, programme: str, baseline: str, against: date, recorded_as_of: datetime
    ) -> tuple[Comparison, ProgrammePlan]:
        """The comparison and the plan on `against` it was made with (each plan computed once)."""
        source = self.model.source()
        latest = await _require_plan(source, programme, END_OF_TIME, recorded_as_of)
        day = baseline_date(baseline, latest)
        before = await _require_plan(source, programme, day, recorded_as_of)
        current = await _require_plan(source, programme, against, recorded_as_of)
        # Re-baselining: the baseline adopted as current by `against` is measured against too.
        chosen = current.current_baseline
        adopted = None if chosen is None else await _require_plan(source, programme, chosen.as_of, recorded_as_of)
        return compare(baseline, before, current, adopted), current

    async def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        """Every entry that changed the actor's plan, with the plan it left."""
        source = self.model.source()
        require_actor(await _require_plan(source, programme, END_OF_TIME, recorded_as_of), actor)
        log, audit = await source.programme_log(programme)
        return await self._compute(actor_history, log, audit, programme, actor, recorded_as_of)

    async def baseline_history(self, programme: str, recorded_as_of: datetime) -> list[BaselineRevision]:
        """Every entry that named or adopted a baseline, with the current baseline it left."""
        source = self.model.source()
        await _require_plan(source, programme, END_OF_TIME, recorded_as_of)
        log, audit = await source.programme_log(programme)
        return await self._compute(baseline_history, log, audit, programme, recorded_as_of)

    async def milestone_trend(
        self, programme: str, actors: list[str], waves: list[str], recorded_as_of: datetime, report_date: str,
    ) -> MilestoneTrend:
        """For each actor and wave, every report of its planned go-live, up to the actual go-live."""
        source = self.model.source()
        await _require_plan(source, programme, END_OF_TIME, recorded_as_of)
        log, audit = await source.programme_log(programme)
        return await self._compute(milestone_trend, log, audit, programme, actors, waves, recorded_as_of, report_date)

    async def log_page(self, query: LogQuery) -> LogPage:
        """A filtered page of the audit trail."""
        return await self.model.source().log_page(query)

    async def log_count(self, query: LogQuery) -> int:
        """How many entries of the audit trail match the query's filters."""
        return await self.model.source().log_count(query)

    async def entry(self, entry_id: str) -> LogEntry | None:
        """One entry of the audit trail by id."""
        return await self.model.source().entry(entry_id)


async def _plan(source: FactSource, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
    return assemble(programme, await source.facts_at(programme, as_of, recorded_as_of), as_of, recorded_as_of)


async def _require_plan(source: FactSource, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
    plan = await _plan(source, programme, as_of, recorded_as_of)
    if plan is not None:
        return plan
    # Say why: never recorded, not registered by `as_of`, or recorded only after `recorded_as_of`.
    ever = await _plan(source, programme, END_OF_TIME, datetime.max.replace(tzinfo=UTC))
    recorded_later = ever is not None and await _plan(source, programme, END_OF_TIME, recorded_as_of) is None
    return known(None, programme, as_of, recorded_as_of if recorded_later else None)


def answered(question: Coroutine[Any, Any, T]) -> T:
    """The answer of a question to a source that never waits (the in-memory read model).

    Lets synchronous callers (the CLI, tests) use the one async implementation: the
    coroutine runs to its end at the first step, or this is a programming error.
    """
    try:
        question.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    question.close()
    raise RuntimeError("the question waited: only a read model that never waits can be asked synchronously")
