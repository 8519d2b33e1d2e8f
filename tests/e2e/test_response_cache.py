"""Repeated queries come from the position-keyed response cache, and never go stale."""

from __future__ import annotations

from typing import Any

from ledger_server.response_cache import ResponseCache
from tests.e2e.client import assess_status, recorded
from tests.e2e.conftest import Served

STATUS = '{ programme(id: "demo", asOf: "2030-01-01") { status } }'


def _cache(api: Served) -> ResponseCache:
    layer: Any = api.http.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


def test_a_repeated_query_is_answered_from_the_cache(api: Served) -> None:
    first = api.reader.data(STATUS)
    entries = len(_cache(api).entries)
    assert api.reader.data(STATUS) == first
    assert len(_cache(api).entries) == entries == 1


def test_an_answer_changes_as_soon_as_an_entry_is_recorded(api: Served) -> None:
    assert api.reader.data(STATUS)["programme"]["status"] is None
    recorded(assess_status(api.recorder, "demo", "2024-01-01", status="Back on track"))
    assert api.reader.data(STATUS)["programme"]["status"] == "Back on track"


def test_mutations_errors_and_other_callers_are_kept_apart(api: Served) -> None:
    recorded(assess_status(api.recorder, "demo", "2024-01-01", status="Once"))
    refused = api.anonymous.execute(STATUS)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert api.reader.data(STATUS)["programme"]["status"] == "Once"
    assert api.admin.data(STATUS)["programme"]["status"] == "Once"
    keys = list(_cache(api).entries)
    assert len(keys) == 2  # one per token; neither the mutation nor the refusal was kept
    assert all(key[0] == STATUS for key in keys)
