"""The stores themselves refuse to change or delete stored entries and snapshots, whatever client is used.

These tests bypass the application and talk SQL to the database with sqlite3 / psycopg.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import psycopg
import pytest

from ledger.application import open_ledger
from ledger.importer import import_text
from ledger.settings import StoreLocation
from tests.conftest import SAMPLE

REFUSAL = "append-only"
TABLES = {
    "sqlite": {"events": "stored_events", "snapshots": "stored_snapshots"},
    "postgres": {"events": "ledger_events", "snapshots": "ledger_snapshots"},
}
KIND = ["events", "snapshots"]
Rows = list[tuple[Any, ...]]


def _fill(url: str) -> str:
    """Import the sample and 80 more entries (102 in all, one import, so a snapshot is taken)."""
    reschedules = [
        json.dumps({"type": "WaveRescheduled", "programme": "demo", "key": f"reschedule-{n}",
                    "effective": f"2023-{1 + n // 28:02d}-{1 + n % 28:02d}", "source": {"title": "Weekly plan"},
                    "wave": "w2", "window": "2024-Q1"})
        for n in range(80)
    ]
    lines = [*SAMPLE.read_text(encoding="utf-8").splitlines(), *reschedules]
    app = open_ledger(StoreLocation(url))
    try:
        import_text(app, "\n".join(lines), recorded_by="test")
        assert app.last_position() == 102
    finally:
        app.close()
    return url


@pytest.fixture
def filled(store_url: str) -> str:
    """The URL of a store (SQLite and PostgreSQL) holding 102 entries and a snapshot."""
    return _fill(store_url)


@pytest.fixture
def filled_postgres(postgres_url: str) -> str:
    """The URL of a PostgreSQL store holding 102 entries and a snapshot."""
    return _fill(postgres_url)


@pytest.fixture
def filled_sqlite(sqlite_url: str) -> str:
    """The URL of a SQLite store holding 102 entries and a snapshot."""
    return _fill(sqlite_url)


def _store(url: str) -> str:
    return "postgres" if StoreLocation(url).is_postgres else "sqlite"


def _execute(url: str, sql: str) -> Rows:
    """Execute `sql` on a connection of its own (autocommit) and return the rows."""
    if _store(url) == "postgres":
        with psycopg.connect(url, autocommit=True) as pg:
            cursor = pg.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
    lite = sqlite3.connect(StoreLocation(url).sqlite_path, isolation_level=None)
    try:
        return list(lite.execute(sql).fetchall())
    finally:
        lite.close()


def _rows(url: str, table: str) -> Rows:
    return _execute(url, f"SELECT * FROM {table} ORDER BY originator_id, originator_version")


def _refused(url: str, table: str, sql: str) -> None:
    """`sql` fails with the append-only message, and the table is exactly as it was."""
    before = _rows(url, table)
    assert before, f"{table} should hold rows for this test to mean anything"
    error_type = psycopg.Error if _store(url) == "postgres" else sqlite3.DatabaseError
    with pytest.raises(error_type, match=REFUSAL):
        _execute(url, sql)
    assert _rows(url, table) == before


@pytest.mark.parametrize("kind", KIND)
def test_updating_stored_rows_is_refused(filled: str, kind: str) -> None:
    table = TABLES[_store(filled)][kind]
    _refused(filled, table, f"UPDATE {table} SET originator_version = originator_version + 1000")


@pytest.mark.parametrize("kind", KIND)
def test_updating_one_row_is_refused(filled: str, kind: str) -> None:
    table = TABLES[_store(filled)][kind]
    _refused(filled, table, f"UPDATE {table} SET topic = 'tampered' WHERE originator_version IN (1, 102)")


@pytest.mark.parametrize("kind", KIND)
def test_deleting_stored_rows_is_refused(filled: str, kind: str) -> None:
    table = TABLES[_store(filled)][kind]
    _refused(filled, table, f"DELETE FROM {table}")


@pytest.mark.parametrize("kind", KIND)
def test_deleting_one_row_is_refused(filled: str, kind: str) -> None:
    table = TABLES[_store(filled)][kind]
    _refused(filled, table, f"DELETE FROM {table} WHERE originator_version = 102")


@pytest.mark.parametrize("kind", KIND)
def test_truncating_is_refused_on_postgres(filled_postgres: str, kind: str) -> None:
    table = TABLES["postgres"][kind]
    _refused(filled_postgres, table, f"TRUNCATE {table}")


def test_an_upsert_over_a_stored_entry_is_refused_on_postgres(filled_postgres: str) -> None:
    table = TABLES["postgres"]["events"]
    _refused(
        filled_postgres, table,
        f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, originator_version, topic, 'tampered'::bytea FROM {table} "
        "WHERE originator_version = 1 "
        "ON CONFLICT (originator_id, originator_version) DO UPDATE SET state = EXCLUDED.state",
    )


def test_insert_or_replace_over_a_stored_entry_is_refused_on_sqlite(filled_sqlite: str) -> None:
    _refused(
        filled_sqlite, "stored_events",
        "INSERT OR REPLACE INTO stored_events (originator_id, originator_version, topic, state) "
        "SELECT originator_id, originator_version, topic, X'00' FROM stored_events WHERE originator_version = 1",
    )


def test_the_ledger_still_reads_and_records_after_refused_tampering(filled: str) -> None:
    table = TABLES[_store(filled)]["events"]
    _refused(filled, table, f"DELETE FROM {table}")
    app = open_ledger(StoreLocation(filled))
    try:
        assert [r.position for r in app.read_all()] == list(range(1, 103))
        line = json.dumps({"type": "GoLiveRecorded", "programme": "demo", "effective": "2024-03-02",
                           "source": {"title": "Go-live report"}, "actors": ["south-trust"], "wave": "w2"})
        assert import_text(app, line, recorded_by="test").added == 1
        assert app.last_position() == 103
    finally:
        app.close()
