"""A catalogue of hostile HTTP requests: each is a 4xx or a coded GraphQL error, never a 5xx, never masked.

Every case runs against the API on SQLite and on PostgreSQL, as a caller with the admin token
(so that nothing is refused merely for want of a role), and leaves the ledger unchanged.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ledger.application import LedgerApplication
from tests.e2e.conftest import Served

AUDIT = "query Audit { events(first: 500) { edges { node { id } } } }"
EVENTS_AFTER = "query Page($after: String) { events(first: 5, after: $after) { edges { node { id } } } }"
STATUS = ("mutation S($input: StatusAssessedInput!) { assessStatus(input: $input) { __typename "
          "... on Problem { code message } } }")


def body(document: str, variables: Any = None) -> bytes:
    request: dict[str, Any] = {"query": document}
    if variables is not None:
        request["variables"] = variables
    return json.dumps(request).encode()


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def status_input(**changes: Any) -> dict[str, Any]:
    values = {"programmeId": "demo", "effective": "2024-01-01", "status": "On track", "risk": "Low"}
    return {"input": {**values, **changes}}


# (case id, raw POST body, words the error must contain)
BODIES: list[tuple[str, bytes, str]] = [
    ("body-byte-0xff", b'{"query": "{ __typename }", "x": "\xff"}', "is not UTF-8: byte 0xff"),
    ("body-truncated-utf8", b'{"query": "{ programmes { id } }\xe2\x82"}', "is not UTF-8"),
    ("body-utf8-encoded-surrogate", b'{"query": "{ __typename }", "x": "\xed\xa0\x80"}', "is not UTF-8"),
    ("body-deep-array-100000",
     b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
     "nested more than 64 levels"),
    ("body-deep-object-100000", b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "nested more than 64 levels"),
    ("body-deep-variables-65", body("{ __typename }", {"a": json.loads("[" * 65 + "]" * 65)}),
     "nested more than 64 levels"),
    ("variables-lone-surrogate", body(EVENTS_AFTER)[:-1] + b', "variables": {"after": "\\ud800"}}',
     "lone surrogate \\ud800"),
    ("mutation-lone-surrogate", body(STATUS)[:-1] + b', "variables": {"input": {"programmeId": "demo", '
     b'"effective": "2024-01-01", "status": "\\udfff", "risk": "Low"}}}', "lone surrogate \\udfff"),
    ("query-text-lone-surrogate", b'{"query": "{ programme(id: \\"\\ud800\\") { id } }"}', "lone surrogate"),
    ("body-not-json", b"{ programmes { id } }", "not valid JSON"),
    ("body-integer-of-5000-digits", b'{"query": "{ __typename }", "x": ' + b"1" * 5000 + b"}",
     "is not JSON the ledger can read"),
    ("body-byte-order-mark", b"\xef\xbb\xbf" + body("{ __typename }"), "not valid JSON"),
]

# (case id, document, variables, words the GraphQL error must contain)
DOCUMENTS: list[tuple[str, str, Any, str]] = [
    ("cursor-not-base64", EVENTS_AFTER, {"after": "%%%"}, "is not a cursor from this API"),
    ("cursor-non-ascii", EVENTS_AFTER, {"after": "abcé"}, "is not a cursor from this API"),
    ("cursor-superscript-digit", EVENTS_AFTER, {"after": cursor("position:\u00b2")}, "is not a cursor from this API"),
    ("cursor-negative", EVENTS_AFTER, {"after": cursor("position:-1")}, "is not a cursor from this API"),
    ("cursor-over-int64", EVENTS_AFTER, {"after": cursor("position:" + "9" * 19)}, "is not a cursor from this API"),
    ("cursor-wrong-prefix", EVENTS_AFTER, {"after": cursor("offset:3")}, "is not a cursor from this API"),
    ("cursor-not-utf8", EVENTS_AFTER, {"after": base64.urlsafe_b64encode(b"\xff\xfe").decode()},
     "is not a cursor from this API"),
    ("graphql-lone-surrogate-escape", '{ programme(id: "\\ud800") { id } }', None, "Invalid Unicode escape"),
    ("date-year-0", '{ programme(id: "demo", asOf: "0000-01-01") { id } }', None, "is not a real calendar date"),
    ("datetime-before-year-1", '{ programme(id: "demo", recordedAsOf: "0001-01-01T00:00:00+14:00") { id } }',
     None, "outside the years 1 to 9999"),
    ("first-over-int32", "{ events(first: 99999999999) { edges { node { id } } } }", None, "32-bit"),
    ("first-zero", "{ events(first: 0) { edges { node { id } } } }", None, "first must be between 1 and 500"),
    ("baseline-year-0", '{ comparison(programmeId: "demo", baseline: "0000-01-01") { baseline } }', None,
     "is neither a baseline name"),
    ("mutation-year-0-window", "mutation W($input: WavePlannedInput!) { planWave(input: $input) { __typename "
     "... on Problem { code message } } }", {"input": {"programmeId": "demo", "effective": "2024-01-01",
     "wave": "w9", "code": "W9", "window": {"precision": "YEAR", "label": "0000", "earliest": "0000-01-01"}}},
     "is not a real calendar date"),
    ("nul-in-programme-id", '{ programme(id: "a\\u0000b") { id } }', None, "NUL character"),
    ("nul-in-actor-filter", '{ events(actorId: "\\u0000") { edges { node { id } } } }', None, "NUL character"),
    ("nul-in-type-filter-variable", "query T($t: [String!]) { events(types: $t) { edges { node { id } } } }",
     {"t": ["ok", "a\x00"]}, "NUL character"),
    ("nul-in-mutation-variable", STATUS, status_input(status="On\x00track"), "NUL character"),
]

# (case id, document, variables): client mistakes that are answered (null or empty), not errors
ANSWERED: list[tuple[str, str, Any]] = [
    ("entry-id-seq-over-int64", '{ event(id: "demo:99999999999999999999999") { id } }', None),
    ("entry-id-5000-chars", '{ event(id: "' + "d" * 5000 + ':1") { id } }', None),
]


def _assert_unchanged(api: Served, ledger: LedgerApplication, before: tuple[int, Any]) -> None:
    assert (ledger.last_position(), api.admin.data(AUDIT)) == before


@pytest.fixture
def before(api: Served, ledger: LedgerApplication) -> tuple[int, Any]:
    return ledger.last_position(), api.admin.data(AUDIT)


def test_the_catalogue_has_at_least_thirty_cases() -> None:
    assert len(BODIES) + len(DOCUMENTS) + len(ANSWERED) >= 30


@pytest.mark.parametrize(("case", "raw", "words"), BODIES, ids=[case for case, _, _ in BODIES])
def test_a_hostile_body_is_a_400_with_a_code(
    api: Served, ledger: LedgerApplication, before: tuple[int, Any], case: str, raw: bytes, words: str
) -> None:
    response = api.http.post("/graphql", content=raw, headers={
        "content-type": "application/json", "Authorization": f"Bearer {api.tokens.admin}"})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert words in error["message"]
    _assert_unchanged(api, ledger, before)


@pytest.mark.parametrize(("case", "document", "variables", "words"), DOCUMENTS, ids=[c for c, *_ in DOCUMENTS])
def test_a_hostile_argument_is_a_clear_error_never_masked(
    api: Served, ledger: LedgerApplication, before: tuple[int, Any],
    case: str, document: str, variables: Any, words: str,
) -> None:
    answer = api.admin.execute(document, variables)
    problems = [r for r in (answer.get("data") or {}).values() if isinstance(r, dict) and "code" in r]
    messages = [e["message"] for e in answer.get("errors", [])] + [p["message"] for p in problems]
    assert messages, answer
    assert "Unexpected error." not in messages
    assert any(words in message for message in messages), messages
    _assert_unchanged(api, ledger, before)


@pytest.mark.parametrize(("case", "document", "variables"), ANSWERED, ids=[c for c, *_ in ANSWERED])
def test_an_odd_but_harmless_argument_is_answered(
    api: Served, ledger: LedgerApplication, before: tuple[int, Any], case: str, document: str, variables: Any
) -> None:
    answer = api.admin.execute(document, variables)
    assert "errors" not in answer, answer
    _assert_unchanged(api, ledger, before)


@pytest.mark.parametrize(("case", "parameter", "words"), [
    ("get-deep-variables", "[" * 1000 + "]" * 1000, "nested more than 64 levels"),
    ("get-lone-surrogate-variables", '{"a": "\\ud800"}', "lone surrogate"),
])
def test_a_hostile_get_parameter_is_a_400(api: Served, case: str, parameter: str, words: str) -> None:
    response = api.http.get("/graphql", params={"query": "{ __typename }", "variables": parameter},
                            headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert words in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("case", "message"), [
    ("ws-deep-json", '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { ledgerEvents { id } }", '
     '"variables": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}}"),
    ("ws-lone-surrogate", '{"id": "1", "type": "subscribe", "payload": {"query": "subscription '
     '{ ledgerEvents(programmeId: \\"\\ud800\\") { id } }"}}'),
])
def test_a_hostile_websocket_message_closes_the_socket_as_the_clients_mistake(
    api: Served, ledger: LedgerApplication, before: tuple[int, Any], case: str, message: str
) -> None:
    headers = {"Authorization": f"Bearer {api.tokens.admin}"}
    with api.http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as socket:
        socket.send_text(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(socket.receive_text())["type"] == "connection_ack"
        socket.send_text(message)
        closed = socket.receive()
    assert closed == {"type": "websocket.close", "code": 4400, "reason": "WebSocket message must be valid JSON"}
    assert api.http.get("/healthz").status_code == 200
    _assert_unchanged(api, ledger, before)
