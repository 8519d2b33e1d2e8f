"""The PostgreSQL read model through asyncpg: the read service's port for a production store.

Facts in force come from one indexed query per fact family; the read service then builds
plans, comparisons and histories exactly as it does over the in-memory model.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from ledger.changes import fact_families
from ledger.entry import RecordedEntry
from ledger.stored import decode_stored_entry
from ledger.timeline import FactKey, Version
from ledger.values import parse_source
from projections.audit import AuditLog, AuditView, LogEntry, LogPage, LogQuery
from projections.fact_values import decode_value_json
from projections.pg_schema import SCHEMA, fact_table, in_force_sql


@functools.cache
def _facts_query(families: tuple[str, ...]) -> str:
    """The as-of question over every family's table: one index range scan each."""
    columns = "'{}' AS family, subject, attribute, effective, seq, value"
    parts = [f"({in_force_sql(family, columns.format(family), '$1', '$2', '$3')})" for family in families]
    return " UNION ALL ".join(parts)


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
        subjects=frozenset(row["subjects"]), content=json.loads(row["data"]), corrects=row["corrects"],
        corrected_by=tuple(row["corrected_by"]), retracted_by=row["retracted_by"],
    )


class PostgresReader:
    """The PostgreSQL read model as the read service's port (and the live feed's entry source)."""

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
            rows = await connection.fetch(_facts_query(fact_families()), programme, as_of, recorded_as_of)
        return {
            (row["family"], row["subject"], row["attribute"]): Version(
                row["effective"], row["seq"], decode_value_json(row["value"]))
            for row in rows
        }

    def source(self) -> PostgresReader:
        """What one question reads: the database itself."""
        return self

    async def programme_ids(self) -> list[str]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(f"SELECT DISTINCT programme FROM {fact_table('programme')} ORDER BY 1")
        return [row["programme"] for row in rows]

    async def programme_log(self, programme: str) -> tuple[list[RecordedEntry], AuditView]:
        """The programme's recorded entries and their audit trail."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT position, seq, recorded_at, entry FROM {SCHEMA}.entries WHERE programme = $1 "
                "ORDER BY position", programme)
        log = [RecordedEntry(r["position"], r["seq"], r["recorded_at"], decode_stored_entry(json.loads(r["entry"])))
               for r in rows]
        audit = AuditLog()
        for recorded in log:
            audit.apply(recorded)
        return log, audit.view()

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
