"""Make the event tables refuse UPDATE and DELETE at the database level.

The application never updates or deletes a stored event; these triggers make sure nobody
else does either, whatever client they use. Snapshots are protected the same way.
"""

from __future__ import annotations

from typing import Any

REFUSAL = "the programme ledger is append-only: stored entries cannot be changed or deleted"


def _sqlite_statements(table: str, key: tuple[str, ...] = ("originator_id", "originator_version")) -> list[str]:
    refuse = f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    same_key = " AND ".join(f"{column} = NEW.{column}" for column in key)
    return [
        *(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} ON {table} {refuse}"
          for action in ("UPDATE", "DELETE")),
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers; stop it here.
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key}) {refuse}",
    ]


def _postgres_statements(table: str) -> list[str]:
    name = table.rpartition(".")[2]  # trigger names are never schema-qualified
    function = f"{table}_refuse_change"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
        f"DROP TRIGGER IF EXISTS {name}_append_only ON {table}",
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"DROP TRIGGER IF EXISTS {name}_no_truncate ON {table}",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def protect(recorders: list[Any], *, postgres: bool) -> None:
    """Install the refusing triggers on every recorder's table (idempotent)."""
    for recorder in recorders:
        table = recorder.events_table_name
        statements = _postgres_statements(table) if postgres else _sqlite_statements(table)
        with recorder.datastore.transaction(commit=True) as cursor:
            if postgres:
                # Concurrent starts must not race on CREATE OR REPLACE FUNCTION.
                cursor.execute("SELECT pg_advisory_xact_lock(4242001)")
            for statement in statements:
                cursor.execute(statement)


def protect_table(cursor: Any, table: str, key: tuple[str, ...], *, postgres: bool) -> None:
    """Install the refusing triggers on one more table, inside the caller's transaction."""
    for statement in _postgres_statements(table) if postgres else _sqlite_statements(table, key):
        cursor.execute(statement)
