"""The read port the API asks: the same questions, answered in memory or (later) in PostgreSQL.

Methods are async so that an asyncpg-backed reader fits the same resolvers; the in-memory
reader answers straight away because its index is already in memory.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from projections.audit import LogEntry, LogPage, LogQuery
from projections.compare import Comparison
from projections.history import Revision
from projections.memory import InMemoryReadModel
from projections.plan import ProgrammePlan


class Reader(Protocol):
    """Questions the API asks of a read model."""

    @property
    def position(self) -> int: ...

    async def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None: ...

    async def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]: ...

    async def comparison(
        self, programme: str, baseline: str, against: date, recorded_as_of: datetime
    ) -> Comparison: ...

    async def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]: ...

    async def log_page(self, query: LogQuery) -> LogPage: ...

    async def log_count(self, query: LogQuery) -> int: ...

    async def entry(self, entry_id: str) -> LogEntry | None: ...


class InMemoryReader:
    """The `Reader` over the in-memory read model."""

    def __init__(self, model: InMemoryReadModel) -> None:
        self.model = model

    @property
    def position(self) -> int:
        return self.model.position

    async def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        return self.model.plan(programme, as_of, recorded_as_of)

    async def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        return self.model.programmes(as_of, recorded_as_of)

    async def comparison(self, programme: str, baseline: str, against: date, recorded_as_of: datetime) -> Comparison:
        return self.model.comparison(programme, baseline, against, recorded_as_of)

    async def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        return self.model.actor_history(programme, actor, recorded_as_of)

    async def log_page(self, query: LogQuery) -> LogPage:
        return self.model.log_page(query)

    async def log_count(self, query: LogQuery) -> int:
        return self.model.audit.count(query)

    async def entry(self, entry_id: str) -> LogEntry | None:
        return self.model.audit.get(entry_id)
