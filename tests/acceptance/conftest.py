"""The bundled Helseplattformen dataset, imported once per store (an empty SQLite file and an
empty PostgreSQL database) and shared by every acceptance test of that store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.importer import ImportResult, import_text, resolve_source
from ledger.settings import StoreLocation
from projections.memory import InMemoryReadModel
from tests import postgres
from tests.acceptance.helseplattformen_answers import PROGRAMME


@dataclass(frozen=True)
class ImportedLedger:
    """A store holding the bundled dataset, a read model caught up with it, and how the imports went."""

    store: str
    url: str
    app: LedgerApplication
    model: InMemoryReadModel
    lines: list[dict[str, Any]]  # the dataset's entries, in file order
    first_import: ImportResult
    second_import: ImportResult
    now: datetime  # "recorded as of now": after both imports


def _dataset_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _import_twice(store: str, url: str) -> ImportedLedger:
    text = resolve_source(PROGRAMME)[0]
    lines = _dataset_lines(text)
    app = open_ledger(StoreLocation(url))
    assert app.last_position() == 0, f"the {store} ledger is not empty"
    first = import_text(app, text, recorded_by="acceptance")
    second = import_text(app, text, recorded_by="acceptance")
    # The first import adds every entry of the file, the second none of them.
    assert (first.added, first.already_present) == (len(lines), 0)
    assert (second.added, second.already_present) == (0, second.total)
    assert second.total == len(lines)
    assert app.last_position() == len(lines)
    model = InMemoryReadModel()
    assert model.catch_up(app) == len(lines)
    assert model.position == len(lines)
    return ImportedLedger(store, url, app, model, lines, first, second, datetime.now(UTC))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def hp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImportedLedger]:
    """The bundled dataset imported into an empty ledger: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('helseplattformen') / 'ledger.db'}"
        imported = _import_twice("sqlite", url)
        yield imported
        imported.app.close()
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = postgres.create_database(server)
    try:
        imported = _import_twice("postgres", url)
        yield imported
        imported.app.close()
    finally:
        postgres.drop_database(server, url)

