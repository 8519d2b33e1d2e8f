"""Project the log into the PostgreSQL read model, exactly once.

Each batch of entries is applied in one transaction that also moves the tracking position,
under an advisory lock so that several processes can run projectors on one database: a crash
at any point leaves either the whole batch or none of it, and nobody applies an entry twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import anyio

from ledger.belief import closed_target, fact_changes
from ledger.changes import fact_families
from ledger.codec import encode_entry
from ledger.entry import RecordedEntry, entry_id
from ledger.timeline import FactKey
from projections.audit import log_entry
from projections.fact_values import encode_value
from projections.pg_schema import SCHEMA, fact_table, family_of

if TYPE_CHECKING:  # the write side is loaded only by whoever hands one in
    from ledger.application import LedgerApplication

PROJECTOR_LOCK = 4242003
FACT_COLUMNS = ("programme", "subject", "attribute", "effective", "seq", "value", "recorded_from", "recorded_to",
                "position", "ordinal")
ENTRY_COLUMNS = ("position", "entry_id", "programme", "seq", "type", "effective", "recorded_at", "recorded_by", "key",
                 "source", "deciding_body", "reason", "summary", "subjects", "data", "corrects", "entry",
                 "current_effective")


def fact_record(programme: str, key: FactKey, effective: date, seq: int, value: object, recorded: RecordedEntry,
                ordinal: int) -> tuple[Any, ...]:
    """One row of a fact table (recorded_to open)."""
    return (programme, key[1], key[2], effective, seq, json.dumps(encode_value(value)), recorded.recorded_at, None,
            recorded.position, ordinal)


def entry_record(recorded: RecordedEntry) -> tuple[Any, ...]:
    """One row of the entries table."""
    view = log_entry(recorded)
    return (
        view.position, view.entry_id, view.programme, recorded.seq, view.type, view.effective, view.recorded_at,
        view.recorded_by, view.key, None if view.source is None else json.dumps(view.source.to_json()),
        view.deciding_body, view.reason, view.summary, sorted(view.subjects), json.dumps(view.data), view.corrects,
        json.dumps(encode_entry(recorded.entry)), recorded.entry.effective,
    )


class PostgresProjector:
    """Follows the event store and keeps the read model's tables current."""

    def __init__(self, app: LedgerApplication, pool: Any, batch: int = 1000) -> None:
        self.app = app
        self.pool = pool
        self.batch = batch

    async def position(self) -> int:
        """The last log position the read model covers."""
        async with self.pool.acquire() as connection:
            return int(await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking"))

    async def catch_up(self) -> int:
        """Apply every entry after the tracking position; returns the new position."""
        while True:
            start = await self.position()
            entries = await anyio.to_thread.run_sync(self.app.read, start, self.batch)
            if not entries:
                return start
            await self.apply_batch(entries)

    async def apply_batch(self, entries: Sequence[RecordedEntry]) -> int:
        """Apply entries (skipping any already covered) and move the position, in one transaction."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", PROJECTOR_LOCK)
            current = int(await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking FOR UPDATE"))
            todo = [entry for entry in entries if entry.position > current]
            for recorded in todo:
                await self._apply(connection, recorded)
            if todo:
                await connection.execute(f"UPDATE {SCHEMA}.tracking SET position = $1, tree_size = tree_size + $2",
                                         todo[-1].position, len(todo))
            return todo[-1].position if todo else current

    async def _apply(self, connection: Any, recorded: RecordedEntry) -> None:
        entry = recorded.entry
        await connection.execute(
            f"INSERT INTO {SCHEMA}.entries ({', '.join(ENTRY_COLUMNS)}) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(ENTRY_COLUMNS) + 1))})",
            *entry_record(recorded),
        )
        target = closed_target(entry.change)
        believed: date | None = None
        if target is not None:
            target_id = entry_id(entry.programme, target)
            for family in fact_families():
                await connection.execute(
                    f"UPDATE {fact_table(family)} SET recorded_to = $3 "
                    "WHERE programme = $1 AND seq = $2 AND recorded_to IS NULL",
                    entry.programme, target, recorded.recorded_at,
                )
            # What is believed before: the target's current effective date, kept by a
            # correction that states none.
            believed = await connection.fetchval(
                f"SELECT current_effective FROM {SCHEMA}.entries WHERE entry_id = $1", target_id)
        changes = fact_changes(entry, recorded.seq, lambda _seq: believed)
        if changes.retracts:
            return
        if changes.corrects:
            await connection.execute(
                f"UPDATE {SCHEMA}.entries SET current_effective = $2 WHERE entry_id = $1",
                entry_id(entry.programme, changes.seq), changes.effective)
        await self._insert_facts(connection, recorded, changes.seq, changes.effective, changes.opens)

    async def _insert_facts(self, connection: Any, recorded: RecordedEntry, seq: int, effective: date,
                            facts: Iterable[tuple[FactKey, object]]) -> None:
        by_family: dict[str, list[tuple[Any, ...]]] = {}
        for ordinal, (key, value) in enumerate(facts):
            record = fact_record(recorded.entry.programme, key, effective, seq, value, recorded, ordinal)
            by_family.setdefault(family_of(key, recorded), []).append(record)
        for family, records in by_family.items():
            await connection.executemany(
                f"INSERT INTO {fact_table(family)} ({', '.join(FACT_COLUMNS)}) VALUES "
                f"({', '.join(f'${i}' for i in range(1, len(FACT_COLUMNS) + 1))})",
                records,
            )
