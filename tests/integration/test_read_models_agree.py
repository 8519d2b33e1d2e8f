"""Every reader of belief agrees with the pure fold, for any history with corrections and retractions.

The readers: the aggregate's time line (kept live while recording, and rebuilt from a
snapshot's believed entries), the in-memory index, the PostgreSQL read model, and the audit
trail's corrected/retracted marks (in memory and in PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.changes import EntryCorrected, fact_families
from ledger.codec import content_digest
from ledger.entry import RecordedEntry
from ledger.programme import ProgrammeLedger
from projections import fold
from projections.audit import AuditLog, LogQuery
from projections.index import BitemporalIndex
from projections.pg_projector import PostgresProjector
from projections.pg_reader import PostgresReader
from projections.pg_schema import SCHEMA, fact_table, migrate
from projections.plan import assemble
from tests import postgres
from tests.histories import PROGRAMME, START, T0, histories

as_of_dates = st.integers(min_value=-30, max_value=1000).map(lambda n: START + timedelta(days=n))
recorded_offsets = st.integers(min_value=-1, max_value=200).map(lambda n: T0 + timedelta(minutes=n))


class ReadModelDatabase:
    """One migrated database, emptied before each example, driven from a private event loop."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.pool = self.run(self._pool(url))
        self.projector = PostgresProjector(app=None, pool=self.pool)  # type: ignore[arg-type]
        self.reader = PostgresReader(self.pool)

        async def setup() -> None:
            async with self.pool.acquire() as connection:
                await migrate(connection)

        self.run(setup())

    @staticmethod
    async def _pool(url: str) -> Any:
        # Made inside the loop, so that the pool belongs to it.
        return await asyncpg.create_pool(url, min_size=1, max_size=2)

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def load(self, history: list[RecordedEntry]) -> None:
        async def reset_and_apply() -> None:
            async with self.pool.acquire() as connection:
                tables = ", ".join([fact_table(f) for f in fact_families()] + [f"{SCHEMA}.entries"])
                await connection.execute(f"TRUNCATE {tables}")
                await connection.execute(f"UPDATE {SCHEMA}.tracking SET position = 0, tree_size = 0")
            await self.projector.apply_batch(history)

        self.run(reset_and_apply())

    def close(self) -> None:
        self.run(self.pool.close())
        self.loop.close()


@pytest.fixture(scope="module")
def read_model_database(postgres_server: str) -> Iterator[ReadModelDatabase]:
    url = postgres.create_database(postgres_server)
    database = ReadModelDatabase(url)
    yield database
    database.close()
    postgres.drop_database(postgres_server, url)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), questions=st.lists(st.tuples(as_of_dates, recorded_offsets), min_size=1, max_size=5))
def test_fold_index_and_postgres_agree(
    read_model_database: ReadModelDatabase, history: list[RecordedEntry], questions: list[Any]
) -> None:
    index = BitemporalIndex()
    for recorded in history:
        index.apply(recorded)
    read_model_database.load(history)
    for as_of, recorded_as_of in questions:
        expected = fold.facts_at(history, PROGRAMME, as_of, recorded_as_of)
        assert index.facts_at(PROGRAMME, as_of, recorded_as_of) == expected
        from_postgres = read_model_database.run(read_model_database.reader.facts_at(PROGRAMME, as_of, recorded_as_of))
        assert from_postgres == expected
        assert assemble(PROGRAMME, from_postgres, as_of, recorded_as_of) == fold.plan_at(
            history, PROGRAMME, as_of, recorded_as_of)
    _aggregate_agrees(history, [as_of for as_of, _recorded in questions])
    _audit_marks_agree(read_model_database, history)


def _aggregate_agrees(history: list[RecordedEntry], days: list[Any]) -> None:
    """The write side's time line (used by every rule check) believes what the fold does now."""
    aggregate = ProgrammeLedger.open(history[0].entry, content_digest(history[0].entry))
    for recorded in history[1:]:
        aggregate.record(recorded.entry, content_digest(recorded.entry))
    live = aggregate.timeline
    del aggregate.__dict__["_timeline"]  # as after loading a snapshot: rebuilt from believed entries
    rebuilt = aggregate.timeline
    latest = history[-1].recorded_at
    for day in days:
        expected = fold.facts_at(history, PROGRAMME, day, latest)
        assert live.snapshot(day) == expected
        assert rebuilt.snapshot(day) == expected


def _audit_marks_agree(read_model_database: ReadModelDatabase, history: list[RecordedEntry]) -> None:
    """Marks in memory equal marks in PostgreSQL, and mark exactly the entries the fold stopped believing."""
    audit = AuditLog()
    for recorded in history:
        audit.apply(recorded)
    in_memory = audit.page(LogQuery(programme=PROGRAMME, first=1000)).entries
    page = read_model_database.run(read_model_database.reader.log_page(LogQuery(programme=PROGRAMME, first=1000)))
    assert [(e.entry_id, e.corrected_by, e.retracted_by) for e in page.entries] == [
        (e.entry_id, e.corrected_by, e.retracted_by) for e in in_memory]
    believed = fold.believed_timeline(history, PROGRAMME, history[-1].recorded_at)
    for recorded, logged in zip(history, in_memory, strict=True):
        if logged.retracted_by is not None:
            assert believed.effective_of(recorded.seq) is None, logged.entry_id
        elif logged.corrected_by:
            last = next(r for r in history if r.entry_id == logged.corrected_by[-1]).entry.change
            assert isinstance(last, EntryCorrected)
            now = believed.effective_of(recorded.seq)
            assert now is not None, f"{logged.entry_id} is marked corrected, but the fold believes nothing of it"
            if last.effective is not None:
                assert now == last.effective, logged.entry_id
