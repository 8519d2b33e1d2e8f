"""How far the read side is behind the store: what `ledger status` prints and `/metrics` exports.

A SQLite store has no stored read model (every server builds its own in memory), so its
read-model fields are empty; a PostgreSQL store's read model says where its tracking is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.application import LedgerApplication


@dataclass(frozen=True)
class Lag:
    """How far a read model is behind the store."""

    entries: int
    seconds: float  # how long the oldest entry not yet applied has waited; 0 when caught up


@dataclass(frozen=True)
class Status:
    """The store and read model positions, the schema version, the projector leader and the tokens."""

    store: str
    store_position: int
    read_model: str
    read_model_position: int | None
    lag_entries: int | None
    lag_seconds: float | None
    schema_version: int | None
    projector_leader: str | None
    tokens_active: int
    tokens_total: int


def lag(app: LedgerApplication, store_position: int, read_position: int) -> Lag:
    """The lag of a read model at `read_position` behind a store at `store_position`."""
    behind = max(store_position - read_position, 0)
    if behind == 0:
        return Lag(0, 0.0)
    oldest = app.read(read_position, 1)
    waited = (datetime.now(UTC) - oldest[0].recorded_at).total_seconds() if oldest else 0.0
    return Lag(behind, max(waited, 0.0))


async def read_model_facts(pool: Any) -> tuple[int, int | None, str | None]:
    """The PostgreSQL read model's tracking position, schema version and projector leader."""
    from projections.pg_schema import META, SCHEMA

    async with pool.acquire() as connection:
        position = int(await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking"))
        version = await connection.fetchval(f"SELECT max(version) FROM {META}.version")
        leader = await projector_leader(connection)
    return position, None if version is None else int(version), leader


async def projector_leader(connection: Any) -> str | None:
    """Who holds the projector leadership lock: "pid N on HOST (application)", or None."""
    from projections.pg_leader import LEADER_LOCK

    row = await connection.fetchrow(
        "SELECT a.pid, a.client_addr, a.application_name FROM pg_locks l JOIN pg_stat_activity a "
        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        LEADER_LOCK)
    if row is None:
        return None
    where = row["client_addr"] or "local socket"
    return f"backend pid {row['pid']} from {where}" + (f" ({row['application_name']})"
                                                        if row["application_name"] else "")
