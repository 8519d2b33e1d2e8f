"""The exported SDL is the contract: it must match the code, and every operation must validate."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from ledger.settings import StoreLocation
from ledger_server.schema import build_schema
from ledger_server.settings import ApiSettings

ROOT = Path(__file__).parent.parent.parent
SCHEMA = build_schema(ApiSettings(store=StoreLocation("sqlite:///unused.db")))
OPERATIONS = sorted((ROOT / "graphql" / "operations").glob("*.graphql"))


def test_exported_sdl_matches_the_code() -> None:
    exported = (ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8")
    assert exported == SCHEMA.as_str() + "\n", (
        "graphql/schema.graphql differs from the code; if the change is deliberate, run "
        "`ledger schema --output graphql/schema.graphql` and review the diff"
    )


def test_the_contract_names_of_the_issue_are_present() -> None:
    sdl = SCHEMA.as_str()
    for name in ("programmes(", "programme(", "comparison(", "events(", "ledgerEvents(", "recordDecision(",
                 "type LedgerEventConnection", "type PlannedWindow", "scalar Money", "scalar Date", "scalar DateTime"):
        assert name in sdl


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda path: path.stem)
def test_every_named_operation_validates(operation: Path) -> None:
    document = parse(operation.read_text(encoding="utf-8"))
    assert validate(SCHEMA._schema, document) == []
    assert document.definitions[0].name.value == operation.stem  # type: ignore[attr-defined]
