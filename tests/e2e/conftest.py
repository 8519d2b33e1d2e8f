"""Fixtures for end-to-end tests: a seeded store, tokens per role, and the API served in-process.

Every fixture builds on `store_url` (tests/conftest.py), so each test runs once on a fresh
SQLite file and once on a fresh PostgreSQL database (read through the PostgreSQL read model,
as `ledger serve` does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from ledger.application import LedgerApplication, open_ledger
from ledger.importer import import_text
from ledger.settings import StoreLocation
from ledger_server.app import create_app
from ledger_server.settings import ApiSettings
from tests.e2e.client import SAMPLE, GraphQL, GraphQLWebSocket, Tokens, asgi_socket


@dataclass
class Served:
    """The API running in-process on one store, with a caller per role."""

    http: TestClient
    url: str
    tokens: Tokens

    @property
    def anonymous(self) -> GraphQL:
        return GraphQL(self.http, None)

    @property
    def reader(self) -> GraphQL:
        return GraphQL(self.http, self.tokens.reader)

    @property
    def recorder(self) -> GraphQL:
        return GraphQL(self.http, self.tokens.recorder)

    @property
    def admin(self) -> GraphQL:
        return GraphQL(self.http, self.tokens.admin)

    def caller(self, token: str | None) -> GraphQL:
        return GraphQL(self.http, token)

    def socket(self, headers: dict[str, str] | None = None) -> AbstractContextManager[GraphQLWebSocket]:
        """A graphql-transport-ws connection to /graphql (not yet initialised)."""
        return asgi_socket(self.http, headers=headers)


@contextmanager
def serve(url: str, tokens: Tokens, **settings: Any) -> Iterator[Served]:
    """Run the Starlette app (with its lifespan) on `url` for the duration of the block.

    The settings are those `ledger serve` would use with no LEDGER_* variables set (so a
    PostgreSQL store is read through the PostgreSQL read model, as deployed), changed by
    `settings`.
    """
    app = create_app(replace(ApiSettings.from_environment(url, environ={}), **settings))
    with TestClient(app) as http:
        yield Served(http, url, tokens)


def seed(url: str) -> None:
    """Import tests/data/sample.jsonl (programme "demo") into the store."""
    ledger = open_ledger(StoreLocation(url))
    try:
        import_text(ledger, SAMPLE.read_text(encoding="utf-8"), recorded_by="seed")
    finally:
        ledger.close()


@pytest.fixture
def seeded_url(store_url: str) -> str:
    """A fresh store holding the sample programme "demo"."""
    seed(store_url)
    return store_url


@pytest.fixture
def tokens(store_url: str) -> Tokens:
    """A reader, a recorder and an admin token for the store."""
    return Tokens.create(store_url)


@pytest.fixture
def api(seeded_url: str, tokens: Tokens) -> Iterator[Served]:
    """The API on the seeded store, public reads off (as deployed)."""
    with serve(seeded_url, tokens, public_reads=False) as served:
        yield served


@pytest.fixture
def ledger(store_url: str) -> Iterator[LedgerApplication]:
    """The ledger's write side on the same store, to look at what was written."""
    application = open_ledger(StoreLocation(store_url))
    yield application
    application.close()
