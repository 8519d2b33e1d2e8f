"""Roles hold wherever an entry type appears, introspection follows the read rule, tokens stay out of logs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ledger.application import LedgerApplication
from tests.e2e.client import Json
from tests.e2e.conftest import Served, serve
from tests.e2e.servers import ledger_process

AUDIT = "query Audit { events(first: 500) { edges { node { id } } } }"
BASELINE_IN_DECISION = {
    "programmeId": "demo", "effective": "2024-01-01", "title": "Revised plan, named as the new baseline",
    "changes": [
        {"changeReserve": {"reserve": "risk", "total": "700000000"}},
        {"nameBaseline": {"name": "revised plan", "asOf": "2023-06-01"}},
    ],
}
INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_INTROSPECTION = 'query Q { ...F } fragment F on Query { __type(name: "Programme") { name } }'


def _decision(api: Served, token: str) -> Json:
    result: Json = api.caller(token).operation_data("RecordDecision", {"input": BASELINE_IN_DECISION})["recordDecision"]
    return result


def test_a_recorder_cannot_name_a_baseline_inside_a_decision(api: Served, ledger: LedgerApplication) -> None:
    before, trail = ledger.last_position(), api.reader.data(AUDIT)
    result = _decision(api, api.tokens.recorder)
    assert result["__typename"] == "AuthProblem", result
    assert result["code"] == "FORBIDDEN"
    assert result["field"] == "changes[1]"
    assert "nameBaseline inside a decision needs the admin role; this token has recorder" in result["message"]
    assert ledger.last_position() == before
    assert api.reader.data(AUDIT) == trail


def test_an_admin_may_name_a_baseline_inside_a_decision(api: Served, ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    result = _decision(api, api.tokens.admin)
    assert result["__typename"] == "Recorded", result
    assert ledger.last_position() == before + 1


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
def test_introspection_is_refused_to_anonymous_callers_when_reads_need_a_token(api: Served, query: str) -> None:
    answer = api.anonymous.execute(query)
    assert answer.get("data") is None, answer
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "introspecting the schema needs a bearer token with the reader role" in answer["errors"][0]["message"]


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_INTROSPECTION])
def test_introspection_is_answered_with_a_token_and_after_an_anonymous_refusal(api: Served, query: str) -> None:
    api.anonymous.execute(query)  # validation results are cached per document: they must not carry over
    assert api.reader.data(query)
    assert api.anonymous.execute(query)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_unknown_token_cannot_introspect(api: Served) -> None:
    answer = api.caller("lgr_forged").execute(INTROSPECTION)
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_typename_is_not_introspection(api: Served) -> None:
    assert api.anonymous.data("{ __typename }") == {"__typename": "Query"}


@pytest.mark.parametrize("settings", [{"public_reads": True}, {"public_introspection": True}])
def test_introspection_is_open_with_public_reads_or_the_explicit_setting(
    seeded_url: str, tokens: object, settings: dict[str, bool]
) -> None:
    with serve(seeded_url, tokens, **settings) as served:  # type: ignore[arg-type]
        assert served.anonymous.data(INTROSPECTION)["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_token_in_the_query_string_is_refused_and_never_written_to_the_access_log(
    tmp_path: Path, store_url: str
) -> None:
    from tests.e2e.client import Tokens

    token = Tokens.create(store_url).reader
    with ledger_process(tmp_path, "serve", "--database", store_url) as server:
        for parameter in ("access_token", "token", "x"):
            response = httpx.get(
                f"{server.base_url}/graphql", params={"query": "{ programmes { id } }", parameter: token},
                headers={"accept": "application/json"}, timeout=10)
            assert response.status_code == 200
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    log = server.output()
    assert "GET /graphql?" in log  # the requests were logged ...
    assert token not in log  # ... without the token
    assert token.removeprefix("lgr_") not in log
    assert "access_token=[redacted]" in log
