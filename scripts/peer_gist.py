"""The benchmark's PostgreSQL peer: the bitemporal table a DBA would build instead of a ledger.

One row per fact version and time rectangle (`scripts/bitemporal_rows.py`), a `daterange` valid
period and a `tstzrange` system period, and a GiST index over (programme, valid, known) through
btree_gist, so "every fact of P in force on D as known at T" is one index scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import asyncpg

from scripts.bitemporal_rows import BitemporalRow

TABLE = "dba_fact_versions"
QUESTION = (f"SELECT family, subject, attribute, value FROM {TABLE} "
            "WHERE programme = $1 AND valid @> $2::date AND known @> $3::timestamptz")


async def load(connection: Any, rows: Iterable[BitemporalRow]) -> int:
    """Create the table, COPY the rows in, index and analyse it; returns the number of rows."""
    await connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    await connection.execute(
        f"CREATE TABLE {TABLE} (programme text NOT NULL, family text NOT NULL, subject text NOT NULL,"
        " attribute text NOT NULL, value jsonb NOT NULL, valid daterange NOT NULL, known tstzrange NOT NULL)")
    records = [(r.programme, r.family, r.subject, r.attribute, r.value, asyncpg.Range(r.valid_from, r.valid_to),
                asyncpg.Range(r.known_from, r.known_to)) for r in rows]
    await connection.copy_records_to_table(TABLE, records=records)
    # Indexed after the load, as a DBA loading a table in bulk would.
    await connection.execute(f"CREATE INDEX ON {TABLE} USING gist (programme, valid, known)")
    await connection.execute(f"ANALYZE {TABLE}")
    return len(records)


async def ask(connection: Any, programme: str, as_of: date, known: datetime) -> list[Any]:
    """Every fact of `programme` in force on `as_of` as known at `known`."""
    return list(await connection.fetch(QUESTION, programme, as_of, known))


async def latencies(url: str, programme: str, as_of: date, known: datetime, reps: int) -> tuple[list[float], Any]:
    """`reps` timings of the question in milliseconds, and the last answer."""
    connection = await asyncpg.connect(url)
    try:
        samples, answer = [], []
        for _ in range(reps):
            started = time.perf_counter()
            answer = await ask(connection, programme, as_of, known)
            samples.append((time.perf_counter() - started) * 1000)
        return samples, answer
    finally:
        await connection.close()
