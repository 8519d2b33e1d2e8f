"""Who may do what, and how the API answers a client's mistakes.

Every refused write leaves the store untouched (its last position and the audit trail are
the same before and after). A client's own mistake gets a clear error naming the problem,
never an HTTP 500 and never the masked "Unexpected error.".
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from graphql import get_introspection_query

from ledger.application import LedgerApplication
from tests.e2e.client import GraphQL, Json, Tokens, operation_text, record, recorded
from tests.e2e.conftest import Served, serve

AUDIT = "query Audit { events(first: 500) { edges { node { id position } } } }"

SOUTH_LIVE = {"programmeId": "demo", "effective": "2024-03-01", "actors": ["south-trust"], "wave": "w2"}
DECISION = {"programmeId": "demo", "effective": "2024-01-01", "title": "Reserve up",
            "changes": [{"changeReserve": {"reserve": "risk", "total": "700000000"}}]}
CORRECTION = {"programmeId": "demo", "effective": "2024-01-01", "targetKey": "demo-16",
              "replacement": {"rescheduleWave": {"wave": "w2", "window": {
                  "earliest": "2022-11-19", "latest": "2022-11-19", "precision": "DAY", "label": "19.11.2022"}}}}
BASELINE = {"programmeId": "demo", "effective": "2024-01-01", "name": "revised plan", "asOf": "2023-06-01"}
RETRACTION = {"programmeId": "demo", "effective": "2024-01-01", "targetKey": "demo-21"}
PROGRAMME = {"programmeId": "another", "effective": "2024-01-01", "name": "Another", "owner": "Someone"}


def _write(caller: GraphQL, mutation: str) -> Json:
    """Send one of the writes below and return its RecordResult."""
    if mutation == "recordGoLive":
        result: Json = caller.operation_data("RecordGoLive", {"input": SOUTH_LIVE})[mutation]
    elif mutation == "recordDecision":
        result = caller.operation_data("RecordDecision", {"input": DECISION})[mutation]
    elif mutation == "correctEntry":
        result = caller.operation_data("CorrectEntry", {"input": CORRECTION})[mutation]
    elif mutation == "nameBaseline":
        result = record(caller, mutation, "BaselineNamedInput", BASELINE)
    elif mutation == "retractEntry":
        result = record(caller, mutation, "EntryRetractedInput", RETRACTION)
    else:
        result = record(caller, mutation, "ProgrammeRegisteredInput", PROGRAMME)
    return result


WRITES = ["recordGoLive", "recordDecision", "registerProgramme", "correctEntry", "nameBaseline", "retractEntry"]
ADMIN_ONLY = ["correctEntry", "nameBaseline", "retractEntry"]


class _NothingWritten:
    """Checks that nothing was written: same last position, same audit trail."""

    def __init__(self, api: Served, ledger: LedgerApplication) -> None:
        self.api, self.ledger = api, ledger
        self.position = ledger.last_position()
        self.trail = api.reader.data(AUDIT)

    def check(self) -> None:
        assert self.ledger.last_position() == self.position
        assert self.api.reader.data(AUDIT) == self.trail


@pytest.fixture
def nothing_written(api: Served, ledger: LedgerApplication) -> Iterator[_NothingWritten]:
    guard = _NothingWritten(api, ledger)
    yield guard
    guard.check()


def _assert_auth_problem(result: Json, code: str) -> None:
    assert result["__typename"] == "AuthProblem", result
    assert result["code"] == code
    assert result["message"]


# -- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mutation", WRITES)
def test_a_write_without_a_token_is_unauthenticated_and_writes_nothing(
    api: Served, nothing_written: _NothingWritten, mutation: str
) -> None:
    result = _write(api.anonymous, mutation)
    _assert_auth_problem(result, "UNAUTHENTICATED")
    assert "bearer token" in result["message"]


@pytest.mark.parametrize("mutation", WRITES)
def test_a_write_with_a_reader_token_is_forbidden_and_writes_nothing(
    api: Served, nothing_written: _NothingWritten, mutation: str
) -> None:
    result = _write(api.reader, mutation)
    _assert_auth_problem(result, "FORBIDDEN")
    assert "reader" in result["message"]


@pytest.mark.parametrize("mutation", ADMIN_ONLY)
def test_corrections_retractions_and_baselines_with_a_recorder_token_are_forbidden(
    api: Served, nothing_written: _NothingWritten, mutation: str
) -> None:
    result = _write(api.recorder, mutation)
    _assert_auth_problem(result, "FORBIDDEN")
    assert "admin" in result["message"]


@pytest.mark.parametrize("header", ["Bearer lgr_forged-token", "Bearer ", "Basic dXNlcjpwYXNz", "lgr_no-scheme"])
@pytest.mark.parametrize("mutation", ["recordGoLive", "correctEntry"])
def test_a_write_with_an_unknown_or_malformed_token_is_unauthenticated(
    api: Served, nothing_written: _NothingWritten, mutation: str, header: str
) -> None:
    caller = _RawAuthorization(api.http, header)
    _assert_auth_problem(_write(caller, mutation), "UNAUTHENTICATED")


class _RawAuthorization(GraphQL):
    """A caller sending this exact Authorization header."""

    def __init__(self, http: object, header: str) -> None:
        super().__init__(http, None)
        self.header = header

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.header}


@pytest.mark.parametrize("mutation", WRITES)
def test_the_same_writes_succeed_with_the_role_they_need(
    api: Served, ledger: LedgerApplication, mutation: str
) -> None:
    """The control for the refusals above: the inputs are good, only the role was missing."""
    caller = api.admin if mutation in ADMIN_ONLY else api.recorder
    before = ledger.last_position()
    result = recorded(_write(caller, mutation))
    assert result["position"] == before + 1 == ledger.last_position()


# -- reads -----------------------------------------------------------------------------------

READS: dict[str, tuple[str, Json]] = {
    "programme": (operation_text("PlanOnDate"), {"programmeId": "demo", "asOf": "2023-01-01"}),
    "programmes": ("query { programmes(asOf: \"2023-01-01\") { id } }", {}),
    "comparison": (operation_text("OriginalPlanAgainstActuals"), {"programmeId": "demo", "baseline": "original plan"}),
    "events": (operation_text("AuditTrailPage"), {"programmeId": "demo", "first": 5}),
    "event": ("query { event(id: \"demo:1\") { id } }", {}),
}


@pytest.mark.parametrize("field", sorted(READS))
def test_a_read_without_a_token_is_refused_when_public_reads_are_off(api: Served, field: str) -> None:
    query, variables = READS[field]
    answer = api.anonymous.execute(query, variables)
    assert (answer["data"] or {}).get(field) is None
    assert [error["extensions"]["code"] for error in answer["errors"]] == ["UNAUTHENTICATED"]
    assert "reader" in answer["errors"][0]["message"]


@pytest.mark.parametrize("field", sorted(READS))
def test_a_read_with_an_unknown_token_is_refused(api: Served, field: str) -> None:
    query, variables = READS[field]
    answer = api.caller("lgr_forged-token").execute(query, variables)
    assert (answer["data"] or {}).get(field) is None
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("field", sorted(READS))
def test_a_read_without_a_token_is_answered_when_public_reads_are_on(
    seeded_url: str, tokens: Tokens, field: str
) -> None:
    query, variables = READS[field]
    with serve(seeded_url, tokens, public_reads=True) as public:
        anonymous = public.anonymous.data(query, variables)
        with_token = public.reader.data(query, variables)
    assert anonymous[field]
    assert anonymous == with_token


# -- bad values --------------------------------------------------------------------------

def _single_error(answer: Json) -> str:
    assert answer.get("data") is None, answer
    assert len(answer["errors"]) >= 1, answer
    messages = [error["message"] for error in answer["errors"]]
    assert "Unexpected error." not in messages
    return "\n".join(messages)


def test_an_impossible_date_in_a_variable_is_named_in_the_error(api: Served) -> None:
    message = _single_error(api.reader.operation("PlanOnDate", {"programmeId": "demo", "asOf": "2023-02-30"}))
    assert "2023-02-30" in message
    assert "not a real calendar date" in message


@pytest.mark.parametrize("bad", ["2023-02-30", "2023-2-3", "01.02.2023", "2023-02-01T00:00:00Z", ""])
def test_a_bad_effective_date_in_a_mutation_is_refused_and_writes_nothing(
    api: Served, nothing_written: _NothingWritten, bad: str
) -> None:
    message = _single_error(api.recorder.operation("RecordGoLive", {"input": {**SOUTH_LIVE, "effective": bad}}))
    assert "Date" in message
    assert repr(bad) in message or bad in message


def test_a_timestamp_without_an_offset_is_refused(api: Served) -> None:
    message = _single_error(api.reader.operation("PlanAsRecorded", {
        "programmeId": "demo", "asOf": "2023-01-01", "recordedAsOf": "2024-01-01T00:00:00"}))
    assert "no UTC offset" in message


ALLOCATION = """
mutation Allocate($input: AllocationMadeInput!) {
  makeAllocation(input: $input) { __typename ... on Recorded { position } ... on Problem { code message field } }
}
"""


def _allocation(amount: object) -> Json:
    return {"input": {"programmeId": "demo", "effective": "2023-03-01", "allocation": "extra", "reserve": "risk",
                      "purpose": "More", "amount": amount}}


@pytest.mark.parametrize("amount", [1.5, 100, "1.234", "NaN", "Infinity", "1e5", "-5", "12,50", " 100"])
def test_money_that_is_not_a_decimal_string_with_two_decimals_is_refused(
    api: Served, nothing_written: _NothingWritten, amount: object
) -> None:
    message = _single_error(api.recorder.execute(ALLOCATION, _allocation(amount)))
    assert "Money" in message
    assert repr(amount) in message or str(amount) in message


def test_a_json_nan_for_money_is_refused(api: Served, nothing_written: _NothingWritten) -> None:
    body = json.dumps({"query": ALLOCATION, "variables": _allocation(float("nan"))})
    assert "NaN" in body  # Python writes the non-standard literal; the server must not take it as money
    response = api.http.post("/graphql", content=body, headers={
        "content-type": "application/json", "Authorization": f"Bearer {api.tokens.recorder}"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        message = _single_error(response.json())
        assert "Money" in message
        assert "nan" in message.lower()


def test_good_money_is_recorded_exactly(api: Served) -> None:
    recorded(api.recorder.data(ALLOCATION, _allocation("1250.50"))["makeAllocation"])
    plan = api.reader.data('{ programme(id: "demo", asOf: "2023-03-02") { reserves { allocated remaining } } }')
    assert plan["programme"]["reserves"] == [{"allocated": "380001250.50", "remaining": "219998749.50"}]


@pytest.mark.parametrize(("changes", "field", "unknown"), [
    ({"programmeId": "nope"}, "programme", "nope"),
    ({"actors": ["nobody"]}, "actors[0]", "nobody"),
    ({"wave": "w9"}, "wave", "w9"),
])
def test_an_unknown_id_is_a_not_found_problem_naming_it(
    api: Served, nothing_written: _NothingWritten, changes: Json, field: str, unknown: str
) -> None:
    result = api.recorder.operation_data("RecordGoLive", {"input": {**SOUTH_LIVE, **changes}})["recordGoLive"]
    assert (result["__typename"], result["code"], result["field"]) == ("NotFoundProblem", "NOT_FOUND", field)
    assert f"'{unknown}'" in result["message"]


def test_an_unknown_reserve_in_a_decision_is_a_not_found_problem(api: Served, nothing_written: _NothingWritten) -> None:
    decision = {**DECISION, "changes": [{"changeReserve": {"reserve": "nowhere", "total": "1"}}]}
    result = api.recorder.operation_data("RecordDecision", {"input": decision})["recordDecision"]
    assert (result["__typename"], result["code"]) == ("NotFoundProblem", "NOT_FOUND")
    assert "'nowhere'" in result["message"]


def test_a_comparison_of_an_unknown_programme_is_a_not_found_error(api: Served) -> None:
    answer = api.reader.operation("OriginalPlanAgainstActuals", {"programmeId": "nope", "baseline": "original plan"})
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "'nope'" in answer["errors"][0]["message"]


def test_a_comparison_against_an_unknown_baseline_names_the_baselines_there_are(api: Served) -> None:
    answer = api.reader.operation("OriginalPlanAgainstActuals", {"programmeId": "demo", "baseline": "first draft"})
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "'first draft'" in answer["errors"][0]["message"]
    assert "'original plan'" in answer["errors"][0]["message"]


def test_an_unknown_programme_actor_or_wave_in_a_query_is_null(api: Served) -> None:
    data = api.reader.data('{ programme(id: "nope") { id } demo: programme(id: "demo") '
                           '{ actor(id: "nobody") { id } wave(id: "w9") { id } } }')
    assert data == {"programme": None, "demo": {"actor": None, "wave": None}}


@pytest.mark.parametrize(("arguments", "field", "words"), [
    ("first: 0", "first", "between 1 and 500"),
    ("first: 501", "first", "between 1 and 500"),
    ('after: "not-a-cursor"', "after", "not a cursor"),
])
def test_bad_paging_arguments_are_invalid_input_naming_the_argument(
    api: Served, arguments: str, field: str, words: str
) -> None:
    answer = api.reader.execute(f"{{ events({arguments}) {{ edges {{ cursor }} }} }}")
    error = answer["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID_INPUT", field)
    assert words in error["message"]


def _answered_or_invalid(answer: Json, field: str) -> None:
    """Either a real answer, or INVALID_INPUT: never the masked error kept for the server's own faults."""
    errors = answer.get("errors", [])
    assert "Unexpected error." not in [error["message"] for error in errors], answer
    if errors:
        assert errors[0]["extensions"]["code"] == "INVALID_INPUT", answer
    else:
        assert answer["data"][field] is not None


@pytest.mark.parametrize(("query", "field"), [
    ('{ programme(id: "demo", recordedAsOf: "9999-12-31T23:59:59-23:59") { id } }', "programme"),
    ('{ events(recordedFrom: "0001-01-01T00:00:00+01:00") { edges { cursor } } }', "events"),
])
def test_a_timestamp_at_the_edge_of_the_calendar_is_answered_or_refused_clearly(
    api: Served, query: str, field: str
) -> None:
    _answered_or_invalid(api.reader.execute(query), field)


def test_a_cursor_past_any_position_is_answered_or_refused_clearly(
    api: Served
) -> None:
    cursor = "cG9zaXRpb246" + "OTk5" * 16  # base64 of "position:" followed by 48 nines
    answer = api.reader.execute(f'{{ events(after: "{cursor}") {{ edges {{ cursor }} }} }}')
    _answered_or_invalid(answer, "events")
    if "errors" not in answer:
        assert answer["data"]["events"]["edges"] == []


# -- bad documents and bodies --------------------------------------------------------------


def test_an_unknown_field_is_a_validation_error_naming_it(api: Served) -> None:
    message = _single_error(api.reader.execute('{ programme(id: "demo") { id plannedBudget } }'))
    assert "Cannot query field 'plannedBudget' on type 'Programme'" in message


def test_a_query_nested_fifty_levels_deep_is_refused_for_its_depth(api: Served) -> None:
    query = 'query Deep { programme(id: "demo") { ' + "actors { " * 50 + "id" + " }" * 50 + " } }"
    message = _single_error(api.reader.execute(query))
    assert "'Deep' exceeds maximum operation depth of 12" in message


def test_an_introspection_query_nested_fifty_levels_deep_is_refused_for_its_depth(api: Served) -> None:
    query = 'query Deep { __type(name: "Query") { ' + "ofType { " * 49 + "name" + " }" * 49 + " } }"
    answer = api.reader.execute(query)
    assert answer.get("data") is None, answer
    assert "'Deep' exceeds maximum operation depth of 30 for introspection" in answer["errors"][0]["message"]


def test_the_standard_introspection_query_is_within_the_introspection_depth(api: Served) -> None:
    answer = api.reader.execute(get_introspection_query(descriptions=True))
    assert "errors" not in answer, answer
    assert answer["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_through_fragments_counts_their_depth(api: Served) -> None:
    fragment = "fragment T on __Type { " + "ofType { " * 40 + "name" + " }" * 40 + " }"
    answer = api.reader.execute('query Spread { __type(name: "Query") { ...T } } ' + fragment)
    assert answer.get("data") is None, answer
    assert "'Spread' exceeds maximum operation depth of 30 for introspection" in answer["errors"][0]["message"]


def test_a_thousand_aliases_are_refused(api: Served) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    response = api.reader.post(query)
    assert response.status_code == 200
    assert _single_error(response.json()) == "1000 aliases found. Allowed: 30"


def _assert_body_too_large(response: object) -> None:
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    error = response.json()["errors"][0]  # type: ignore[attr-defined]
    assert error["extensions"]["code"] == "BODY_TOO_LARGE"
    assert "1048576 bytes" in error["message"]


def test_a_two_mebibyte_body_is_refused_with_413_and_a_json_error(
    api: Served, nothing_written: _NothingWritten
) -> None:
    padding = "x" * (2 * 1024 * 1024)
    variables = {"input": {**_allocation("1")["input"], "purpose": padding}}
    body = json.dumps({"query": ALLOCATION, "variables": variables})
    response = api.http.post("/graphql", content=body, headers={
        "content-type": "application/json", "Authorization": f"Bearer {api.tokens.recorder}"})
    _assert_body_too_large(response)


def test_a_two_mebibyte_body_sent_in_chunks_without_a_length_is_refused_with_413(
    api: Served, nothing_written: _NothingWritten
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "padding": "'
        for _ in range(32):
            yield b"x" * 65536
        yield b'"}'

    response = api.http.post("/graphql", content=chunks(), headers={
        "content-type": "application/json", "Authorization": f"Bearer {api.tokens.recorder}"})
    _assert_body_too_large(response)


def test_a_body_that_is_not_json_is_a_400(api: Served) -> None:
    response = api.http.post("/graphql", content=b"{ programmes { id } }", headers={
        "content-type": "application/json", "Authorization": f"Bearer {api.tokens.reader}"})
    assert response.status_code == 400
    assert "JSON" in response.text


@pytest.mark.parametrize(("body", "words"), [
    ({}, "No GraphQL query"),
    ({"query": 5}, "must be a string"),
    ({"query": "{ __typename }", "variables": "x"}, "`variables` must be an object"),
    ([{"query": "{ __typename }"}], "Batching is not enabled"),
])
def test_a_malformed_request_is_a_400_saying_what_is_wrong(api: Served, body: object, words: str) -> None:
    response = api.http.post("/graphql", json=body, headers={"Authorization": f"Bearer {api.tokens.reader}"})
    assert response.status_code == 400
    assert words in response.text


def test_a_mutation_over_get_is_refused(api: Served, nothing_written: _NothingWritten) -> None:
    response = api.http.get("/graphql", params={"query": operation_text("RecordGoLive"),
                                                "variables": json.dumps({"input": SOUTH_LIVE})},
                            headers={"Authorization": f"Bearer {api.tokens.recorder}", "Accept": "application/json"})
    assert response.status_code in (400, 405)
    assert "GET" in response.text


def test_every_answer_carries_a_request_id(api: Served) -> None:
    response = api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"x-request-id": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    assert api.http.post("/graphql", json={"query": "{ __typename }"}).headers["x-request-id"]


# -- health ------------------------------------------------------------------------------


def test_healthz_answers_200_with_the_log_position(api: Served, ledger: LedgerApplication) -> None:
    response = api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "position": 22, "read_model_position": 22, "verified": None}
    assert ledger.last_position() == 22

    recorded(api.recorder.operation_data("RecordGoLive", {"input": SOUTH_LIVE})["recordGoLive"])
    after = api.http.get("/healthz").json()
    assert (after["position"], after["read_model_position"]) == (23, 23)
