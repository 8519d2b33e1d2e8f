"""Questions answered from the PostgreSQL read model through asyncpg.

The same questions as `InMemoryReadModel`, with the same answers: facts in force come from
one indexed query per fact family, then `assemble` builds the plan exactly as in memory.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from ledger.application import RecordedEntry
from ledger.codec import decode_stored_entry
from ledger.timeline import FactKey, Version
from ledger.values import parse_source
from projections.audit import AuditLog, LogEntry, LogPage, LogQuery
from projections.compare import Comparison, baseline_date, compare
from projections.fact_values import decode_value
from projections.history import Revision, actor_history
from projections.pg_schema import FAMILIES, SCHEMA, fact_table
from projections.plan import END_OF_TIME, ProgrammePlan, assemble, known, require_actor


def _facts_query() -> str:
    parts = [
        f"(SELECT DISTINCT ON (subject, attribute) '{family}' AS family, subject, attribute, effective, seq, value "
        f"FROM {fact_table(family)} WHERE programme = $1 AND effective <= $2 AND recorded_from <= $3 "
        "AND (recorded_to IS NULL OR recorded_to > $3) "
        "ORDER BY subject, attribute, effective DESC, seq DESC, ordinal DESC)"
        for family in FAMILIES
    ]
    return " UNION ALL ".join(parts)


FACTS_QUERY = _facts_query()
FATE = (
    f"ARRAY(SELECT c.entry_id FROM {SCHEMA}.entries c WHERE c.corrects = e.entry_id AND c.type = 'EntryCorrected' "
    "ORDER BY c.position) AS corrected_by, "
    f"(SELECT r.entry_id FROM {SCHEMA}.entries r WHERE r.corrects = e.entry_id AND r.type = 'EntryRetracted' "
    "LIMIT 1) AS retracted_by"
)
ENTRY_FIELDS = ("e.position, e.entry_id, e.programme, e.type, e.effective, e.recorded_at, e.recorded_by, e.key, "
                "e.source, e.deciding_body, e.reason, e.summary, e.subjects, e.data, e.corrects")


def _log_entry(row: Any) -> LogEntry:
    return LogEntry(
        position=row["position"], entry_id=row["entry_id"], programme=row["programme"], type=row["type"],
        effective=row["effective"], recorded_at=row["recorded_at"], recorded_by=row["recorded_by"], key=row["key"],
        source=None if row["source"] is None else parse_source(json.loads(row["source"])),
        deciding_body=row["deciding_body"], reason=row["reason"], summary=row["summary"],
        subjects=frozenset(row["subjects"]), data=json.loads(row["data"]), corrects=row["corrects"],
        corrected_by=tuple(row["corrected_by"]), retracted_by=row["retracted_by"],
    )


class PostgresReader:
    """The `Reader` over the PostgreSQL read model."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self._position = 0

    @property
    def position(self) -> int:
        """The tracking position last seen by `refresh_position`."""
        return self._position

    async def refresh_position(self) -> int:
        """Read the tracking position from the database."""
        async with self.pool.acquire() as connection:
            self._position = int(await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking"))
        return self._position

    async def facts_at(self, programme: str, as_of: date, recorded_as_of: datetime) -> dict[FactKey, Version]:
        """Every fact of the programme in force on `as_of` as known at `recorded_as_of`."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(FACTS_QUERY, programme, as_of, recorded_as_of)
        return {
            (row["family"], row["subject"], row["attribute"]): Version(
                row["effective"], row["seq"], decode_value(json.loads(row["value"])))
            for row in rows
        }

    async def plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan | None:
        return assemble(programme, await self.facts_at(programme, as_of, recorded_as_of), as_of, recorded_as_of)

    async def programme_ids(self) -> list[str]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(f"SELECT DISTINCT programme FROM {fact_table('programme')} ORDER BY 1")
        return [row["programme"] for row in rows]

    async def programmes(self, as_of: date, recorded_as_of: datetime) -> list[ProgrammePlan]:
        plans = [await self.plan(p, as_of, recorded_as_of) for p in await self.programme_ids()]
        return [plan for plan in plans if plan is not None]

    async def _require_plan(self, programme: str, as_of: date, recorded_as_of: datetime) -> ProgrammePlan:
        return known(await self.plan(programme, as_of, recorded_as_of), programme, as_of)

    async def comparison(self, programme: str, baseline: str, against: date, recorded_as_of: datetime) -> Comparison:
        latest = await self._require_plan(programme, END_OF_TIME, recorded_as_of)
        day = baseline_date(baseline, latest)
        before = await self._require_plan(programme, day, recorded_as_of)
        return compare(baseline, before, await self._require_plan(programme, against, recorded_as_of))

    async def actor_history(self, programme: str, actor: str, recorded_as_of: datetime) -> list[Revision]:
        require_actor(await self._require_plan(programme, END_OF_TIME, recorded_as_of), actor)
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT position, seq, recorded_at, entry FROM {SCHEMA}.entries WHERE programme = $1 "
                "ORDER BY position", programme)
        log = [RecordedEntry(r["position"], r["seq"], r["recorded_at"], decode_stored_entry(json.loads(r["entry"])))
               for r in rows]
        audit = AuditLog()
        for recorded in log:
            audit.apply(recorded)
        return actor_history(log, audit, programme, actor, recorded_as_of)

    async def log_page(self, query: LogQuery) -> LogPage:
        conditions, values = _log_conditions(query)
        if query.before is not None:
            values.append(query.before)
            conditions.append(f"e.position < ${len(values)}")
        wanted = query.first if query.last is None else query.last
        values.append(wanted + 1)
        order = "ASC" if query.last is None else "DESC"  # backward paging reads from the end
        sql = (f"SELECT {ENTRY_FIELDS}, {FATE} FROM {SCHEMA}.entries e WHERE {' AND '.join(conditions)} "
               f"ORDER BY e.position {order} LIMIT ${len(values)}")
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(sql, *values)
        entries = [_log_entry(row) for row in rows[:wanted]]
        if query.last is None:
            return LogPage(entries=entries, has_more=len(rows) > wanted)
        return LogPage(entries=entries[::-1], has_previous=len(rows) > wanted)

    async def log_count(self, query: LogQuery) -> int:
        """How many entries match the filters, whatever the paging."""
        conditions, values = _log_conditions(replace(query, after=0))
        async with self.pool.acquire() as connection:
            return int(await connection.fetchval(
                f"SELECT count(*) FROM {SCHEMA}.entries e WHERE {' AND '.join(conditions)}", *values))

    async def entry(self, entry_id: str) -> LogEntry | None:
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(
                f"SELECT {ENTRY_FIELDS}, {FATE} FROM {SCHEMA}.entries e WHERE e.entry_id = $1", entry_id)
        return None if row is None else _log_entry(row)

    async def entries_after(self, position: int, limit: int = 1000) -> list[LogEntry]:
        """Entries after a position, for live subscribers."""
        return (await self.log_page(LogQuery(after=position, first=limit))).entries


def _log_conditions(query: LogQuery) -> tuple[list[str], list[Any]]:
    """The WHERE conditions and values of a log query's filters (and its `after`)."""
    conditions = ["e.position > $1"]
    values: list[Any] = [query.after]

    def where(condition: str, value: Any) -> None:
        values.append(value)
        conditions.append(condition.replace("?", f"${len(values)}"))

    if query.programme is not None:
        where("e.programme = ?", query.programme)
    if query.types:
        where("e.type = ANY(?)", sorted(query.types))
    if query.subject is not None:
        where("e.subjects @> ARRAY[?]::text[]", query.subject)
    if query.subjects:
        where("e.subjects @> ?::text[]", sorted(query.subjects))
    if query.effective_from is not None:
        where("e.effective >= ?", query.effective_from)
    if query.effective_to is not None:
        where("e.effective <= ?", query.effective_to)
    if query.recorded_from is not None:
        where("e.recorded_at >= ?", query.recorded_from)
    if query.recorded_to is not None:
        where("e.recorded_at <= ?", query.recorded_to)
    return conditions, values
