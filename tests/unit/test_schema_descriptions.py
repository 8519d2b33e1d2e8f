"""Every type, field, argument, input field and enum value of the schema tells a client what it is.

The walk reads the schema as a client does, through introspection, so a field added on any branch
without a description fails here with its place named (the built-in scalars and the `__` types are
GraphQL's own and are left out).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
from graphql import get_introspection_query, graphql_sync
from graphql.type import specified_scalar_types

from ledger.changes import Change, GoLivePostponed, field_help
from ledger.settings import StoreLocation
from ledger_server.enums import described_enum
from ledger_server.schema import build_schema
from ledger_server.settings import ApiSettings

SCHEMA = build_schema(ApiSettings(store=StoreLocation("sqlite:///unused.db")))


def _introspected_types() -> list[dict[str, Any]]:
    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    result = graphql_sync(SCHEMA._schema, query)
    assert result.errors is None, result.errors
    assert result.data is not None
    return [t for t in result.data["__schema"]["types"]
            if not t["name"].startswith("__") and t["name"] not in specified_scalar_types]


def _undescribed(types: list[dict[str, Any]]) -> Iterator[str]:
    """The place of every piece without a description, as Type, Type.field, Type.field(arg), Enum.VALUE."""
    for kind in types:
        name = kind["name"]
        if not (kind["description"] or "").strip():
            yield name
        for field in kind["fields"] or ():
            if not (field["description"] or "").strip():
                yield f"{name}.{field['name']}"
            yield from (f"{name}.{field['name']}({arg['name']})" for arg in field["args"]
                        if not (arg["description"] or "").strip())
        yield from (f"{name}.{item['name']}" for item in kind["inputFields"] or ()
                    if not (item["description"] or "").strip())
        yield from (f"{name}.{value['name']}" for value in kind["enumValues"] or ()
                    if not (value["description"] or "").strip())


def test_every_piece_of_the_schema_has_a_description() -> None:
    missing = list(_undescribed(_introspected_types()))
    assert missing == [], f"{len(missing)} without a description: " + ", ".join(missing)


def test_the_walk_sees_each_kind_of_piece() -> None:
    """A walk that skipped a kind of piece would pass vacuously; each kind is there and counted."""
    types = _introspected_types()
    kinds = {t["kind"] for t in types}
    assert {"OBJECT", "INPUT_OBJECT", "ENUM", "UNION", "INTERFACE", "SCALAR"} <= kinds
    blanked = [{**t, "description": None,
                "fields": [{**f, "description": "", "args": [{**a, "description": None} for a in f["args"]]}
                           for f in t["fields"] or ()] or None,
                "inputFields": [{**i, "description": None} for i in t["inputFields"] or ()] or None,
                "enumValues": [{**v, "description": " "} for v in t["enumValues"] or ()] or None}
               for t in types]
    missing = set(_undescribed(blanked))
    for expected in ("Query", "Query.programme", "Query.programme(asOf)", "GoLiveRecordedInput.actors",
                     "ChangeInput.rescheduleWave", "Precision.SEASON", "ActorKind.HEALTH_TRUST", "RecordResult",
                     "Problem.code", "Date"):
        assert expected in missing


def test_entry_type_fields_are_described_from_their_declaration() -> None:
    """A Change field's help comes from FIELD_HELP beside it, the same words in every input that carries it."""
    fields = {t["name"]: {i["name"]: i["description"] for i in t["inputFields"] or ()} for t in _introspected_types()}
    help_ = field_help(GoLivePostponed)
    assert fields["GoLivePostponedInput"]["window"] == help_["window"]
    assert fields["GoLivePostponedChange"]["window"] == help_["window"]
    assert "null" in help_["window"]
    assert "unscheduled" in help_["window"]
    assert fields["GoLivePostponedInput"]["actor"] == field_help(Change)["actor"]


def test_an_enum_value_without_help_is_refused() -> None:
    class Shade(Enum):
        """A colour's shade."""

        LIGHT = "light"
        DARK = "dark"

    with pytest.raises(TypeError, match=r"Shade\.DARK has no help text; add it beside the enum"):
        described_enum(Shade, {Shade.LIGHT: "Pale."})
