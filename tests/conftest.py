"""Fixtures: a fresh store per test, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.settings import StoreLocation
from tests import postgres

SAMPLE = Path(__file__).parent / "data" / "sample.jsonl"


def store_position(url: str) -> int:
    """The last log position of the store at `url` (to check that nothing was written)."""
    app = open_ledger(StoreLocation(url))
    try:
        return app.last_position()
    finally:
        app.close()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the test PostgreSQL server (never skipped: no server is an error)."""
    return postgres.server_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    url = postgres.create_database(postgres_server)
    yield url
    postgres.drop_database(postgres_server, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The same test on a SQLite file and on a PostgreSQL database."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    """The ledger application on a fresh store."""
    application = open_ledger(StoreLocation(store_url))
    yield application
    application.close()
