"""Rebuild the PostgreSQL read model from the event store, with COPY, then swap it in.

The new copy is built in its own schema while queries keep answering from the current one;
the swap renames the schemas in one transaction, under the projector's lock. A rebuild
killed part-way leaves the current copy untouched; the next rebuild drops the half-built one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from ledger.changes import fact_families
from ledger.entry import RecordedEntry
from projections.fact_values import encode_value
from projections.index import BitemporalIndex
from projections.pg_projector import ENTRY_COLUMNS, FACT_COLUMNS, PROJECTOR_LOCK, entry_record
from projections.pg_schema import SCHEMA, create_statements, family_of, migrate, view_statements

if TYPE_CHECKING:  # the write side is loaded only by whoever hands one in
    from ledger.application import LedgerApplication

NEW = f"{SCHEMA}_new"
OLD = f"{SCHEMA}_old"
Progress = Callable[[str, int, int], None]


def _rows(entries: list[RecordedEntry]) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    index = BitemporalIndex()
    for recorded in entries:
        index.apply(recorded)
    facts: dict[str, list[tuple[Any, ...]]] = {family: [] for family in fact_families()}
    for programme, programme_index in index.programmes.items():
        for key, version in programme_index.rows():
            rows = facts.get(key[0])
            if rows is None:  # a family no type declares: say which entry states it
                family_of(key, next(r for r in entries if r.position == version.position))
                continue
            rows.append((
                programme, key[1], key[2], version.effective, version.seq, json.dumps(encode_value(version.value)),
                version.recorded_from, version.recorded_to, version.position, version.ordinal,
            ))
    records = []
    for recorded in entries:
        record = list(entry_record(recorded))
        current = index.programmes[recorded.entry.programme].current_effective(recorded.seq)
        record[-1] = current or recorded.entry.effective
        records.append(tuple(record))
    return facts, records


async def rebuild(app: LedgerApplication, pool: Any, progress: Progress | None = None) -> int:
    """Build a fresh read model from the whole log and swap it in; returns its position."""
    reading = None if progress is None else functools.partial(progress, "reading")
    entries = await anyio.to_thread.run_sync(functools.partial(app.read_all, progress=reading))
    return await load(entries, pool, progress)


async def load(entries: list[RecordedEntry], pool: Any, progress: Progress | None = None) -> int:
    """Build a read model of exactly these entries with COPY and swap it in; returns its position."""
    facts, records = await anyio.to_thread.run_sync(_rows, entries)
    position = entries[-1].position if entries else 0
    async with pool.acquire() as connection:
        await migrate(connection)
        await connection.execute(f"DROP SCHEMA IF EXISTS {NEW} CASCADE")
        for statement in create_statements(NEW) + view_statements(NEW):
            await connection.execute(statement)
        copied, total = 0, sum(len(rows) for rows in facts.values()) + len(records)
        for family, rows in facts.items():
            await connection.copy_records_to_table(f"facts_{family}", schema_name=NEW, records=rows,
                                                   columns=list(FACT_COLUMNS))
            copied += len(rows)
            if progress:
                progress("copying", copied, total)
        await connection.copy_records_to_table("entries", schema_name=NEW, records=records,
                                               columns=list(ENTRY_COLUMNS))
        if progress:
            progress("copying", total, total)
        await connection.execute(f"UPDATE {NEW}.tracking SET position = $1, tree_size = $2", position, len(entries))
        async with connection.transaction():
            # No projector may write between the copy and the swap; entries recorded after the
            # copy are applied by the projector afterwards, from the new tracking position.
            await connection.execute("SELECT pg_advisory_xact_lock($1)", PROJECTOR_LOCK)
            await connection.execute(f"DROP SCHEMA IF EXISTS {OLD} CASCADE")
            await connection.execute(f"ALTER SCHEMA {SCHEMA} RENAME TO {OLD}")
            await connection.execute(f"ALTER SCHEMA {NEW} RENAME TO {SCHEMA}")
            await connection.execute(f"DROP SCHEMA {OLD} CASCADE")
    return position
