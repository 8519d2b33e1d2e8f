"""Leaf hashes stored beside the events, written in the same transaction as the events themselves.

Each stored event's leaf hash covers its stored form: a JSON header `[position, programme id,
sequence, topic]`, a newline, then the event's stored state exactly as the row holds it (that state
carries the recorded time, the entry's content and who recorded it). Hashing the stored bytes,
rather than a decoded entry, makes any changed byte show, and lets `ledger verify` hash rows
without decoding them.

The leaves live in `ledger_leaves` (position, leaf), append-only like the events, so building a
digest or a proof reads 32 bytes per entry instead of re-hashing the log. The recorders below
are eventsourcing's own, extended (as its examples extend them) to add the leaves in the
transaction that inserts the events; the store's triggers refuse changes to both tables.

A store created before leaf hashes existed gets them on first open: the first process to open
it hashes every existing row once, records that it did in `ledger_leaves_meta`, and `ledger
verify` says so (those leaves vouch for the rows as they were at that moment, not when written).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Literal

from ledger import append_only
from ledger.errors import InvalidInput
from ledger.merkle import leaf_hash

RawRow = tuple[int, Any, int, str, bytes]  # position, programme id as stored, sequence, topic, state
TABLE = "ledger_leaves"
VERIFICATIONS = "ledger_verifications"  # what each `ledger verify` found, newest last (for /healthz)
INSERT_LOCK = 4242014  # the advisory lock every insert into the events table holds until it commits
META = "ledger_leaves_meta"


def stored_form(position: int, programme_id: UUID | str, sequence: int, topic: str, state: bytes) -> bytes:
    """The bytes a leaf hash covers: `json.dumps([position, programme id, sequence, topic])`, compact,
    a newline, and the stored state (the header's parts are cached: a log has few programmes and topics)."""
    header = f"[{position},{_programme_json(programme_id)},{sequence},{_topic_json(topic)}]"
    return header.encode("utf-8") + b"\n" + state


@functools.lru_cache(maxsize=100_000)
def _programme_json(programme_id: UUID | str) -> str:
    try:
        programme = programme_id if isinstance(programme_id, UUID) else UUID(programme_id)
    except ValueError:
        return json.dumps(programme_id)  # a hand-edited id: hash it as it stands
    return json.dumps(str(programme))


@functools.lru_cache(maxsize=1024)
def _topic_json(topic: str) -> str:
    return json.dumps(topic)


def leaf_of(position: int, event: StoredEvent) -> bytes:
    """The leaf hash of one stored event at its log position."""
    return leaf_hash(stored_form(position, event.originator_id, event.originator_version, event.topic, event.state))


def leaf_of_row(row: RawRow) -> bytes:
    """The leaf hash of a row as `LeafStore.raw_rows` reads it."""
    return leaf_hash(stored_form(*row))


@dataclass(frozen=True)
class StoredRow:
    """One row of the events table as stored, with its position."""

    position: int
    event: StoredEvent


@dataclass(frozen=True)
class Upgrade:
    """When leaf hashes were first computed for a store, and for how many existing rows."""

    at: datetime
    rows: int
    last_position: int


@dataclass(frozen=True)
class Verification:
    """One recorded run of `ledger verify`: when, over how much of the log, and whether it held."""

    at: datetime
    tree_size: int
    last_position: int
    root_hash: bytes
    ok: bool
    first_bad_position: int | None

    def to_json(self) -> dict[str, Any]:
        """As /healthz shows it."""
        return {"at": self.at.isoformat(), "tree_size": self.tree_size, "position": self.last_position,
                "root_hash": self.root_hash.hex(), "ok": self.ok, "first_bad_position": self.first_bad_position}


class SQLiteLeafRecorder(SQLiteApplicationRecorder):
    """SQLite events recorder that writes each event's leaf hash in the same transaction."""

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        c.executemany(
            f"INSERT INTO {TABLE} (position, leaf) VALUES (?, ?)",
            [(p, leaf_of(p, e)) for p, e in zip(positions, stored_events, strict=True)],
        )
        return positions


class PostgresLeafRecorder(PostgresApplicationRecorder):
    """PostgreSQL events recorder that writes each event's leaf hash in the same transaction.

    Inserts are serialised, so positions (and leaves) are committed in position order. Where
    eventsourcing takes the table's EXCLUSIVE lock for that, this takes a transaction-scoped
    advisory lock: PostgreSQL lets only roles with UPDATE, DELETE or TRUNCATE on a table lock it
    so, and the application's role (ledger.roles) has none of them.
    """

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout
            SQL("SELECT pg_advisory_xact_lock({0})").format(Literal(INSERT_LOCK)),
        ]

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert positions is not None
        curs.execute(
            f"INSERT INTO {self.datastore.schema}.{TABLE} (position, leaf) "
            "SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
            (list(positions), [leaf_of(p, e) for p, e in zip(positions, stored_events, strict=True)]),
        )
        return positions


def recorder_topic(postgres: bool) -> str:
    """The eventsourcing topic of the recorder class for this kind of store."""
    cls = PostgresLeafRecorder if postgres else SQLiteLeafRecorder
    return f"{cls.__module__}:{cls.__qualname__}"


class LeafStore:
    """Reading and creating the leaf table of one store (SQLite or PostgreSQL)."""

    def __init__(self, recorder: Any, *, postgres: bool) -> None:
        self.recorder = recorder
        self.postgres = postgres
        self.mark = "%s" if postgres else "?"
        schema = f"{recorder.datastore.schema}." if postgres else ""
        self.events = f"{schema}{recorder.events_table_name}"
        self.leaves = f"{schema}{TABLE}"
        self.meta = f"{schema}{META}"
        self.verifications = f"{schema}{VERIFICATIONS}"
        self.position = "notification_id" if postgres else "rowid"

    def install(self) -> Upgrade | None:
        """Create the tables if needed; if this store has never had leaves, hash its rows now.

        Returns what the upgrade did, when this call was the one that did it.
        """
        blob, stamp = ("bytea", "timestamptz") if self.postgres else ("BLOB", "TEXT")
        with self.recorder.datastore.transaction(commit=True) as cursor:
            if self.postgres:
                # One installer at a time, and no insert while this runs: taking the insert lock
                # before touching the leaf table keeps the lock order of every writer (no deadlock).
                cursor.execute("SELECT pg_advisory_xact_lock(4242013)")
                cursor.execute(f"SELECT pg_advisory_xact_lock({INSERT_LOCK})")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.leaves} (position BIGINT PRIMARY KEY, leaf {blob} NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.meta} (id INTEGER PRIMARY KEY, upgraded_at {stamp} NOT NULL, "
                "rows BIGINT NOT NULL, last_position BIGINT NOT NULL)"
            )
            serial = "BIGSERIAL" if self.postgres else "INTEGER"
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.verifications} (id {serial} PRIMARY KEY, "
                f"verified_at {stamp} NOT NULL, tree_size BIGINT NOT NULL, last_position BIGINT NOT NULL, "
                f"root_hash {blob} NOT NULL, ok BOOLEAN NOT NULL, first_bad_position BIGINT)"
            )
            append_only.protect_table(cursor, self.verifications, ("id",), postgres=self.postgres)
            append_only.protect_table(cursor, self.leaves, ("position",), postgres=self.postgres)
            append_only.protect_table(cursor, self.meta, ("id",), postgres=self.postgres)
            # Row 1 is written once, by whichever process gets here first; on SQLite inserting it
            # also takes the write lock, so no event is written while the old rows are hashed.
            # (INSERT ... WHERE NOT EXISTS, because the append-only trigger refuses even an
            # INSERT that ON CONFLICT would have ignored.)
            now = datetime.now(UTC)
            cursor.execute(
                f"INSERT INTO {self.meta} (id, upgraded_at, rows, last_position) SELECT 1, {self.mark}, 0, 0 "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self.meta} WHERE id = 1) RETURNING id",
                (now if self.postgres else now.isoformat(),),
            )
            if cursor.fetchone() is None:
                return None
            if self.postgres:  # nor from a process still running eventsourcing's own recorder
                cursor.execute(f"LOCK TABLE {self.events} IN EXCLUSIVE MODE")
            return self._hash_existing(cursor, now)

    def _hash_existing(self, cursor: Any, now: datetime) -> Upgrade | None:
        cursor.execute(
            f"SELECT {self.position} AS position, originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.position} NOT IN (SELECT position FROM {self.leaves}) ORDER BY {self.position}"
        )
        leaves = [(row.position, leaf_of(row.position, row.event)) for row in map(self._row, cursor.fetchall())]
        if not leaves:
            return None
        cursor.executemany(f"INSERT INTO {self.leaves} (position, leaf) VALUES ({self.mark}, {self.mark})", leaves)
        # Row 2, written only when existing rows were hashed, says how many (the table is append-only).
        cursor.execute(
            f"INSERT INTO {self.meta} (id, upgraded_at, rows, last_position) VALUES (2, {self.mark}, {self.mark}, "
            f"{self.mark})",
            (now if self.postgres else now.isoformat(), len(leaves), leaves[-1][0]),
        )
        return Upgrade(now, len(leaves), leaves[-1][0])

    def record_verification(self, verification: Verification) -> None:
        """Append what one `ledger verify` found."""
        v = verification
        with self.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.verifications} (verified_at, tree_size, last_position, root_hash, ok, "
                f"first_bad_position) VALUES ({', '.join([self.mark] * 6)})",
                (v.at if self.postgres else v.at.isoformat(), v.tree_size, v.last_position, v.root_hash, v.ok,
                 v.first_bad_position),
            )

    def last_verification(self, *, held: bool = False) -> Verification | None:
        """The newest recorded `ledger verify` outcome (with `held`, the newest that found no fault), if any."""
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT verified_at, tree_size, last_position, root_hash, ok, first_bad_position "
                f"FROM {self.verifications} {'WHERE ok' if held else ''} ORDER BY id DESC LIMIT 1"
            )
            row = cursor.fetchone()
        if row is None:
            return None
        at = row["verified_at"]
        return Verification(at if isinstance(at, datetime) else datetime.fromisoformat(at), int(row["tree_size"]),
                            int(row["last_position"]), bytes(row["root_hash"]), bool(row["ok"]),
                            row["first_bad_position"])

    def require_installed(self) -> None:
        """For a role that may not create tables: refuse to record into a store without leaf tables."""
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.leaves,))
            if not cursor.fetchone()["found"]:
                raise InvalidInput(
                    "this store has no leaf hashes yet and this role does not own its tables: run "
                    "`ledger migrate` once as their owner", field="database",
                )

    def upgrade(self) -> Upgrade | None:
        """What the first open of this store after the upgrade hashed, if it hashed existing rows."""
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT upgraded_at, rows, last_position FROM {self.meta} WHERE id = 2")
            row = cursor.fetchone()
        if row is None:
            return None
        at = row["upgraded_at"]
        return Upgrade(at if isinstance(at, datetime) else datetime.fromisoformat(at), int(row["rows"]),
                       int(row["last_position"]))

    def last_position(self) -> int:
        """The greatest position among the rows and the leaves (either may have been tampered with)."""
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT COALESCE(MAX(p), 0) AS p FROM (SELECT MAX({self.position}) AS p FROM {self.events} "
                f"UNION ALL SELECT MAX(position) FROM {self.leaves}) AS both_tables"
            )
            return int(cursor.fetchone()["p"])

    def raw_rows(self, upto: int, batch: int = 10000) -> Iterator[list[RawRow]]:
        """The events table's rows up to position `upto`, in position order, a batch at a time, as plain
        tuples of what each row holds (re-hashing many rows is then cheap)."""
        after = 0
        while after < upto:
            with self.recorder.datastore.transaction(commit=False) as cursor:
                # Plain tuples, and on PostgreSQL binary results (no hex decoding of each bytea):
                # building row objects and decoding text cost more than hashing the rows.
                sqlite_cursor = getattr(cursor, "sqlite_cursor", None)
                if sqlite_cursor is not None:
                    sqlite_cursor.row_factory = None
                else:
                    cursor.row_factory = tuple_row
                cursor.execute(
                    f"SELECT {self.position}, originator_id, originator_version, topic, state "
                    f"FROM {self.events} WHERE {self.position} > {self.mark} AND {self.position} <= {self.mark} "
                    f"ORDER BY {self.position} LIMIT {self.mark}",
                    (after, upto, batch), **({"binary": True} if self.postgres else {}),
                )
                found = [(r[0], r[1], r[2], r[3], _state_bytes(r[4])) for r in map(tuple_of, cursor.fetchall())]
            if not found:
                return
            yield found
            after = found[-1][0]

    def leaves_after(
        self, after: int = 0, upto: int | None = None, batch: int = 50000
    ) -> Iterator[list[tuple[int, bytes]]]:
        """The stored (position, leaf) pairs after `after` (up to `upto`), in position order."""
        while True:
            bound = f"AND position <= {int(upto)} " if upto is not None else ""
            with self.recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT position, leaf FROM {self.leaves} WHERE position > {self.mark} {bound}"
                    f"ORDER BY position LIMIT {self.mark}",
                    (after, batch), **({"binary": True} if self.postgres else {}),
                )
                found = [(int(row["position"]), bytes(row["leaf"])) for row in cursor.fetchall()]
            if not found:
                return
            yield found
            after = found[-1][0]

    def position_of(self, programme_id: UUID, sequence: int) -> int | None:
        """The log position of a programme's entry number `sequence`, if it is stored."""
        originator: UUID | str = programme_id if self.postgres else programme_id.hex
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT {self.position} AS position FROM {self.events} "
                f"WHERE originator_id = {self.mark} AND originator_version = {self.mark}",
                (originator, sequence),
            )
            row = cursor.fetchone()
        return None if row is None else int(row["position"])

    def row_at(self, position: int) -> StoredRow | None:
        """The events table's row at `position`, if there is one."""
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT {self.position} AS position, originator_id, originator_version, topic, state "
                f"FROM {self.events} WHERE {self.position} = {self.mark}",
                (position,),
            )
            row = cursor.fetchone()
        return None if row is None else self._row(row)

    def _row(self, row: Any) -> StoredRow:
        originator, state = row["originator_id"], row["state"]
        return StoredRow(
            position=int(row["position"]),
            event=StoredEvent(
                originator_id=originator if isinstance(originator, UUID) else UUID(originator),
                originator_version=int(row["originator_version"]),
                topic=row["topic"],
                state=_state_bytes(state),
            ),
        )


def tuple_of(row: Any) -> tuple[Any, ...]:
    """A row as a tuple, whether the driver gave a dict (psycopg) or a sequence (sqlite3)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _state_bytes(state: Any) -> bytes:
    # A hand-edited SQLite row may hold text where the ledger wrote a blob.
    return state.encode("utf-8") if isinstance(state, str) else bytes(state)
