"""A connection that dies while a write is being saved: OUTCOME_UNKNOWN, and a retry with the key writes it once.

A real fault on PostgreSQL: another session holds the events table in EXCLUSIVE mode, so the
ledger's save waits inside its transaction; the test then terminates the ledger's backend
(pg_terminate_backend), exactly what a crash or failover does to a commit in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.codec import decode_entry
from ledger.errors import OutcomeUnknown
from ledger.importer import import_text
from ledger.settings import StoreLocation
from tests.conftest import SAMPLE

pytestmark = pytest.mark.postgres
LINE = {"type": "StatusAssessed", "programme": "demo", "effective": "2024-01-01", "key": "in-flight-1",
        "status": "Saved while the server went away", "risk": "Low"}


@pytest.fixture
def ledger(postgres_url: str) -> Iterator[LedgerApplication]:
    app = open_ledger(StoreLocation(postgres_url))
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="seed")
    yield app
    app.close()


def _terminate_the_waiting_writer(admin: psycopg.Connection[tuple[object, ...]], database: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", (database,)).fetchall()
        if found:
            return
        time.sleep(0.05)
    raise AssertionError("the ledger's save never waited on the lock")


def test_a_save_whose_connection_dies_is_outcome_unknown_and_a_retry_writes_it_once(
    ledger: LedgerApplication, postgres_url: str
) -> None:
    entry = decode_entry(LINE, recorded_by="test", require_source=False)
    before = ledger.last_position()
    outcome: list[BaseException] = []

    def save() -> None:
        try:
            ledger.record(entry)
        except BaseException as error:
            outcome.append(error)

    database = urlsplit(postgres_url).path.lstrip("/")
    with psycopg.connect(postgres_url, autocommit=True) as admin, psycopg.connect(postgres_url) as blocker:
        blocker.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
        writer = threading.Thread(target=save)
        writer.start()
        _terminate_the_waiting_writer(admin, database)
        blocker.rollback()
        writer.join(timeout=30)

    assert len(outcome) == 1, outcome
    assert isinstance(outcome[0], OutcomeUnknown), outcome
    assert outcome[0].code == "OUTCOME_UNKNOWN"
    assert "may or may not have been written; retry with the same key, it is idempotent" in outcome[0].message
    assert ledger.last_position() == before  # the server rolled it back; the client could not know

    receipt = ledger.record(entry)
    again = ledger.record(entry)
    assert (receipt.added, again.added) == (True, False)
    assert ledger.last_position() == before + 1
