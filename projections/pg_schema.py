"""The PostgreSQL read model's tables, created and migrated by the application.

Facts live in one table per fact family (the families the entry types declare:
programme, actor, wave, ...), each row a version with its effective date and its
recorded interval [recorded_from, recorded_to). `entries` is the audit trail; `tracking`
holds the last log position the tables cover, updated in the same transaction as the rows.
Everything sits in one schema, so a rebuild can fill a fresh schema and swap it in at once.
"""

from __future__ import annotations

from typing import Any

from ledger.changes import fact_families
from ledger.entry import RecordedEntry
from ledger.timeline import FactKey

SCHEMA = "ledger_read"
META = "ledger_read_meta"
SCHEMA_VERSION = 2  # 2: tracking.tree_size, the number of log entries the tables cover


def fact_table(family: str, schema: str = SCHEMA) -> str:
    """The qualified table of a fact family."""
    return f"{schema}.facts_{family}"


def family_of(key: FactKey, recorded: RecordedEntry) -> str:
    """The family of a fact an entry states; an error naming the type if none declares it."""
    family = key[0]
    if family not in fact_families():
        raise ValueError(
            f"entry {recorded.entry_id} ({recorded.entry.type}) states a fact of family {family!r} "
            f"that no entry type declares; add it to {recorded.entry.type}.FAMILIES")
    return family


def family_statements(family: str, schema: str) -> list[str]:
    """DDL for one fact family's table and its indexes."""
    table = fact_table(family, schema)
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " programme text NOT NULL, subject text NOT NULL, attribute text NOT NULL,"
        " effective date NOT NULL, seq integer NOT NULL, value jsonb NOT NULL,"
        " recorded_from timestamptz NOT NULL, recorded_to timestamptz, position bigint NOT NULL,"
        " ordinal integer NOT NULL)",
        # One as-of question = one index range scan per family and programme.
        f"CREATE INDEX ON {table} (programme, subject, attribute, effective DESC, seq DESC, ordinal DESC)",
        f"CREATE INDEX ON {table} (programme, seq) WHERE recorded_to IS NULL",
    ]


def create_statements(schema: str) -> list[str]:
    """DDL for a complete, empty read model in `schema`."""
    statements = [f"CREATE SCHEMA {schema}"]
    for family in fact_families():
        statements += family_statements(family, schema)
    statements += [
        f"CREATE TABLE {schema}.entries ("
        " position bigint PRIMARY KEY, entry_id text NOT NULL UNIQUE, programme text NOT NULL, seq integer NOT NULL,"
        " type text NOT NULL, effective date NOT NULL, recorded_at timestamptz NOT NULL, recorded_by text NOT NULL,"
        " key text NOT NULL, source jsonb, deciding_body text, reason text, summary text NOT NULL,"
        " subjects text[] NOT NULL, data jsonb NOT NULL, corrects text, entry jsonb NOT NULL,"
        " current_effective date NOT NULL)",
        f"CREATE INDEX ON {schema}.entries (programme, position)",
        f"CREATE INDEX ON {schema}.entries USING gin (subjects)",
        f"CREATE INDEX ON {schema}.entries (corrects) WHERE corrects IS NOT NULL",
        f"CREATE TABLE {schema}.tracking (id integer PRIMARY KEY CHECK (id = 1), position bigint NOT NULL,"
        " tree_size bigint NOT NULL DEFAULT 0)",
        f"INSERT INTO {schema}.tracking VALUES (1, 0)",
    ]
    return statements


def view_statements(schema: str) -> list[str]:
    """Views over one copy of the tables (views bind to the tables, so they move with a swap)."""
    return [
        f"CREATE VIEW {schema}.actor_versions AS "
        f"SELECT programme, subject AS actor, attribute, effective, seq, value, recorded_from, recorded_to "
        f"FROM {fact_table('actor', schema)}",
    ]


def in_force_sql(family: str, columns: str, programme: str, day: str, known: str) -> str:
    """The version in force of each (subject, attribute) of a family on `day` as known at `known`.

    The SQL form of `ledger.timeline.in_force` over a family's table: the last version by
    (effective, seq, ordinal) on or before the day among those whose recorded period holds
    `known`. Every as-of query on PostgreSQL is made here, so it has one meaning.
    """
    return (f"SELECT DISTINCT ON (subject, attribute) {columns} FROM {fact_table(family)} "
            f"WHERE programme = {programme} AND effective <= {day} AND recorded_from <= {known} "
            f"AND (recorded_to IS NULL OR recorded_to > {known}) "
            "ORDER BY subject, attribute, effective DESC, seq DESC, ordinal DESC")


def function_statements() -> list[str]:
    """Functions for auditors' SQL, kept outside the swapped schema and naming it by name."""
    return [
        # plan_as_of(programme, day, known): every actor fact in force on `day` as recorded by `known`.
        f"CREATE OR REPLACE FUNCTION {META}.plan_as_of(p text, day date, known timestamptz DEFAULT now()) "
        "RETURNS TABLE (actor text, attribute text, effective date, value jsonb) LANGUAGE sql STABLE AS $$ "
        f"{in_force_sql('actor', 'subject, attribute, effective, value', 'p', 'day', 'known')} $$",
        # changes_between(programme, from, to): the entries that took effect in a date range.
        f"CREATE OR REPLACE FUNCTION {META}.changes_between(p text, from_day date, to_day date) "
        "RETURNS TABLE (entry_id text, type text, effective date, recorded_at timestamptz, recorded_by text, "
        "source_title text, summary text, corrected_or_retracted boolean) LANGUAGE sql STABLE AS $$ "
        f"SELECT e.entry_id, e.type, e.effective, e.recorded_at, e.recorded_by, e.source->>'title', e.summary, "
        f"EXISTS (SELECT 1 FROM {SCHEMA}.entries c WHERE c.corrects = e.entry_id) "
        f"FROM {SCHEMA}.entries e WHERE e.programme = p AND e.effective BETWEEN from_day AND to_day "
        "ORDER BY e.effective, e.position $$",
    ]


EVENTS_TABLE = "ledger_events"  # eventsourcing's table of the application named "Ledger"


async def read_model_behind(connection: Any) -> bool:
    """Whether the store holds entries the read model has not applied (or has no event table yet)."""
    if await connection.fetchval("SELECT to_regclass($1)", EVENTS_TABLE) is None:
        return True
    last = await connection.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}")
    position = await connection.fetchval(f"SELECT position FROM {SCHEMA}.tracking")
    return bool(last > position)


async def migrate(connection: Any) -> int:
    """Create the read model if it is missing and bring it to SCHEMA_VERSION; returns the version."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(4242002)")  # one migrator at a time
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {META}")
        await connection.execute(f"CREATE TABLE IF NOT EXISTS {META}.version (version integer NOT NULL)")
        current = await connection.fetchval(f"SELECT max(version) FROM {META}.version") or 0
        if current < 1:
            exists = await connection.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", SCHEMA)
            if not exists:
                for statement in create_statements(SCHEMA) + view_statements(SCHEMA):
                    await connection.execute(statement)
            for statement in function_statements():
                await connection.execute(statement)
            await connection.execute(f"INSERT INTO {META}.version VALUES (1)")
            current = 1
        if current < 2:
            # The log's tree size at the tracking position, so a digest can be named for what it shows.
            await connection.execute(
                f"ALTER TABLE {SCHEMA}.tracking ADD COLUMN IF NOT EXISTS tree_size bigint NOT NULL DEFAULT 0")
            await connection.execute(
                f"UPDATE {SCHEMA}.tracking t SET tree_size = "
                f"(SELECT count(*) FROM {SCHEMA}.entries e WHERE e.position <= t.position)")
            await connection.execute(f"INSERT INTO {META}.version VALUES (2)")
            current = 2
        # An entry type declared since the tables were made brings its family's table.
        for family in fact_families():
            if await connection.fetchval("SELECT to_regclass($1)", fact_table(family)) is None:
                for statement in family_statements(family, SCHEMA):
                    await connection.execute(statement)
        return int(current)
