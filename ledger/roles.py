"""Deployment hardening on PostgreSQL: the application's role is not the event store's owner.

The append-only triggers only bind those who cannot switch them off, and in PostgreSQL only a
table's owner (or a superuser) can `ALTER TABLE ... DISABLE TRIGGER`. So the tables belong to
the role that runs `ledger migrate`, and the role the application connects as is granted SELECT
and INSERT on them and nothing else: it can record entries (and their leaf hashes) and read
them, but never change, delete or truncate them, nor disable the triggers that say so.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from ledger.errors import InvalidInput
from ledger.leaves import META, TABLE, VERIFICATIONS
from ledger.settings import StoreLocation

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
TOKENS_TABLE = "ledger_api_tokens"


def owns_event_store(location: StoreLocation, events_table: str = "ledger_events") -> bool | None:
    """Whether the URL's role owns the events table (None when there is no events table yet)."""
    with psycopg.connect(location.url, connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass(%s)",
            (events_table,),
        ).fetchone()
    return None if row is None else bool(row[0])


def grant_app_role(app: Any, role: str) -> list[str]:
    """Let `role` read and append to the event store and nothing more; returns the tables granted."""
    if not ROLE_NAME.fullmatch(role):
        raise InvalidInput(f"{role!r} is not a role name (lower-case letters, digits and _)", field="app-role")
    recorders = [app.recorder, *([app.snapshots.recorder] if app.snapshots is not None else [])]
    schema = app.recorder.datastore.schema
    tables = [f"{schema}.{r.events_table_name}" for r in recorders] + [
        f"{schema}.{name}" for name in (TABLE, META, VERIFICATIONS)]
    with app.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        if cursor.fetchone() is None:
            raise InvalidInput(f"there is no role {role!r}; create it first (CREATE ROLE {role} LOGIN)",
                               field="app-role")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'notification_id')", (tables[0],))
        sequence = cursor.fetchone()["pg_get_serial_sequence"]
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (f"{schema}.{TOKENS_TABLE}",))
        tokens = cursor.fetchone()["found"]
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        for table in tables:
            cursor.execute(f"REVOKE ALL ON {table} FROM {role}")
            cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {role}")
        cursor.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {role}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (tables[-1],))
        cursor.execute(f"GRANT USAGE ON SEQUENCE {cursor.fetchone()['pg_get_serial_sequence']} TO {role}")
        if tokens:
            cursor.execute(f"GRANT SELECT ON {schema}.{TOKENS_TABLE} TO {role}")
    return tables
