"""Fuzzing the GraphQL API with hypothesis-graphql: documents generated from the schema itself.

Valid queries and mutations (with arbitrary argument values, including strings with NUL and
other odd characters) and invalid documents (Mode.NEGATIVE: wrong types, missing arguments)
are sent as an admin. Whatever they hold, the server never answers 5xx and never masks an
error as "Unexpected error.": every failure is the client's, with its real message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from tests.e2e.client import ROOT
from tests.e2e.conftest import Served

SCHEMA = (ROOT / "graphql" / "schema.graphql").read_text(encoding="utf-8")
EXAMPLES = 60  # per test and store: bounded, so the suite stays quick


def _text_node(values: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return values.map(nodes.String)


ODD_TEXT = st.text(max_size=30)
SCALARS = {
    "Date": _text_node(st.one_of(st.dates().map(date.isoformat), ODD_TEXT,
                                 st.sampled_from(["0000-01-01", "2023-02-30", "9999-12-31"]))),
    "DateTime": _text_node(st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat), ODD_TEXT,
        st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]))),
    "Money": _text_node(st.one_of(st.from_regex(r"-?\d{1,20}(\.\d{1,3})?", fullmatch=True), ODD_TEXT,
                                  st.sampled_from(["NaN", "Infinity", "1e999"]))),
    "JSON": _text_node(ODD_TEXT),
}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])


def _check(api: Served, document: str) -> None:
    response = api.admin.post(document)
    assert response.status_code < 500, (document, response.text)
    answer = response.json()
    messages = [error.get("message") for error in answer.get("errors") or []]
    codes = [(error.get("extensions") or {}).get("code") for error in answer.get("errors") or []]
    assert "Unexpected error." not in messages, (document, answer)
    assert "INTERNAL" not in codes, (document, answer)


@FUZZ
@given(document=queries(SCHEMA, custom_scalars=SCALARS))
def test_generated_queries_never_fail_the_server(api: Served, document: str) -> None:
    _check(api, document)


@FUZZ
@given(document=mutations(SCHEMA, custom_scalars=SCALARS))
def test_generated_mutations_never_fail_the_server(api: Served, document: str) -> None:
    _check(api, document)


@FUZZ
@given(document=queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE)
       | mutations(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_generated_invalid_documents_are_refused_as_the_clients_mistake(api: Served, document: str) -> None:
    _check(api, document)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_fuzzer_reaches_the_resolvers(api: Served) -> None:
    """A guard against a fuzz that only ever hits validation errors: a generated query is answered."""
    found: list[dict[str, Any]] = []

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(document=queries(SCHEMA, fields=["programmes"], custom_scalars=SCALARS))
    def answered(document: str) -> None:
        answer = api.admin.post(document).json()
        if answer.get("data") and not answer.get("errors"):
            found.append(answer)

    answered()
    assert found
