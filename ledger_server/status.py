"""How far the read side is behind the store, and how far the log was last verified.

This is what `ledger status` prints and `/metrics` exports. A SQLite store has no stored read
model (every server builds its own in memory), so its read-model fields are empty; a PostgreSQL
store's read model says where its tracking is.

The last verification is read from the store's `ledger_verifications` table, which `ledger
verify` appends to: it lives with the log, so it survives restarts and every machine sees the
same one, and it is append-only like the log. A row there is only a claim, though, that the
tables' owner could insert by hand; so the status does not take its root on trust, it recomputes
the log's root at that tree size from the stored leaves. A forged "verified" row then passes only
if the leaves give its root, that is if the log itself was rewritten to match, which is what
`ledger verify` against an auditor's saved digest catches: forging the status costs as much as
forging the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.application import LedgerApplication
from ledger.digest import ProvableLog
from ledger.errors import InvalidInput
from ledger.leaves import Verification


@dataclass(frozen=True)
class Lag:
    """How far a read model is behind the store."""

    entries: int
    seconds: float  # how long the oldest entry not yet applied has waited; 0 when caught up


@dataclass(frozen=True)
class VerifiedDigest:
    """The last `ledger verify` that held: when, up to which position, the root, and whether the log bears it out."""

    verified_at: datetime
    tree_size: int
    position: int  # the log position of the last entry it covered
    root_hash: str  # hex, as `ledger digest` gives it
    matches_log: bool  # the stored leaves still give this root at tree_size (False: rewritten or truncated since)


@dataclass(frozen=True)
class VerifyFailure:
    """A run of `ledger verify` after the last one that held (or with none held) that found a fault."""

    failed_at: datetime
    first_bad_position: int | None  # None when only the read model or a saved digest disagreed


@dataclass(frozen=True)
class Status:
    """The store and read model positions, the schema version, the projector leader, the tokens and the
    last verification."""

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
    verified: VerifiedDigest | None  # None: `ledger verify` has never held on this store
    verify_failed: VerifyFailure | None  # None: no run since the last that held found a fault


def verification(app: LedgerApplication) -> tuple[VerifiedDigest | None, VerifyFailure | None]:
    """The last verification that held, re-checked against the stored leaves, and any failure since."""
    store = app.leaf_store()
    held, latest = store.last_verification(held=True), store.last_verification()
    failure = None if latest is None or latest.ok else VerifyFailure(latest.at, latest.first_bad_position)
    if held is None:
        return None, failure
    return VerifiedDigest(held.at, held.tree_size, held.last_position, held.root_hash.hex(),
                          _bears_out(ProvableLog(store), held)), failure


def _bears_out(log: ProvableLog, held: Verification) -> bool:
    """Whether the log's tree of the verified size still has the verified root and last position."""
    try:
        digest = log.digest(held.tree_size)
    except InvalidInput:  # fewer entries now than were verified: the tail is gone
        return False
    return digest.root_hash == held.root_hash and digest.last_position == held.last_position


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
