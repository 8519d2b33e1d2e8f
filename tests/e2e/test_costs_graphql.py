"""Budgets, estimates and costs to date through the GraphQL API, on SQLite and PostgreSQL: one
mutation per new type, the `costs` query on both time axes, the comparison's cost rows, and bad
money refused as a typed problem naming the field, with nothing written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger_server.cli import main
from tests.e2e.client import ROOT, Json, Tokens, record, recorded
from tests.e2e.conftest import Served, serve

SOURCE = {"title": "Cost report"}
COSTS = """
query Costs($asOf: Date, $recordedAsOf: DateTime) {
  costs(programmeId: "demo", asOf: $asOf, recordedAsOf: $recordedAsOf) {
    lines { scope actors budgetOriginal { kind low high label } budgetCurrent { kind low high label }
            estimate { kind low high } yearlyEstimate { kind low high label } costToDate { kind low high label }
            varianceOriginal { kind low high } varianceCurrent { kind low high } }
    estimates { id basis first { label } latest { label } revisedOn }
    reserves { id remaining }
  }
}
"""
COMPARISON = """
query Compared($baseline: String!, $against: Date) {
  comparison(programmeId: "demo", baseline: $baseline, against: $against) {
    costRows { scope baselineBudget { kind low high } budgetOriginal { kind low high }
               budgetCurrent { kind low high } baselineEstimate { kind low high } estimate { kind low high }
               costToDate { kind low high } varianceOriginal { kind low high } varianceCurrent { kind low high }
               estimateChange { kind low high } }
  }
}
"""


def _entry(effective: str, key: str, **fields: Any) -> Json:
    return {"programmeId": "demo", "effective": effective, "key": key, "source": SOURCE, **fields}


def _money(kind: str, label: str, **bounds: str) -> Json:
    return {"kind": kind, "label": label, **bounds}


def _record_costs(api: Served) -> None:
    """One entry of each new type, recorded through its own mutation."""
    for mutation, input_type, values in [
        ("setBudget", "BudgetSetInput", _entry("2021-06-01", "g-budget", name="Programme budget",
                                               amount=_money("RANGE", "3-3,5 mrd.", low="3000000000",
                                                             high="3500000000"))),
        ("reviseBudget", "BudgetRevisedInput", _entry("2023-06-01", "g-revised",
                                                      amount=_money("AT_MOST", "inntil 4 mrd.", amount="4000000000"))),
        ("estimateCost", "CostEstimatedInput", _entry("2022-01-01", "g-total", estimate="total", name="Total",
                                                      basis="ONE_OFF", amount=_money("AT_LEAST", "minst 3,8 mrd.",
                                                                                     amount="3800000000"))),
        ("estimateCost", "CostEstimatedInput", _entry("2022-01-01", "g-running", estimate="running", name="Running",
                                                      basis="PER_YEAR", amount=_money("ABOUT", "om lag 200 MNOK",
                                                                                      amount="200000000"))),
        ("reviseCostEstimate", "CostEstimateRevisedInput", _entry("2024-01-01", "g-running-2024", estimate="running",
                                                                  amount=_money("EXACT", "250 MNOK",
                                                                                amount="250000000"))),
        ("reportCostToDate", "CostToDateReportedInput", _entry("2024-06-01", "g-spent", actors=["south-trust"],
                                                               amount=_money("AT_LEAST", "minst 1 mrd.",
                                                                             amount="1000000000"))),
    ]:
        assert recorded(record(api.recorder, mutation, input_type, values))["added"] is True


def _lines(api: Served, **variables: str) -> dict[str, Json]:
    costs: Json = api.reader.data(COSTS, variables)["costs"]
    return {line["scope"]: line for line in costs["lines"]}


def test_each_new_type_is_recorded_by_its_mutation_and_shown_by_costs(api: Served) -> None:
    before = datetime.now(UTC).isoformat()
    _record_costs(api)
    lines = _lines(api, asOf="2025-01-01")
    assert list(lines) == ["programme", "actor:south-trust"]
    programme = lines["programme"]
    assert programme["budgetOriginal"] == {"kind": "RANGE", "low": "3000000000", "high": "3500000000",
                                           "label": "3-3,5 mrd."}
    assert programme["budgetCurrent"] == {"kind": "AT_MOST", "low": None, "high": "4000000000",
                                          "label": "inntil 4 mrd."}
    assert programme["estimate"] == {"kind": "AT_LEAST", "low": "3800000000", "high": None}
    # The estimate has no ceiling and the current budget no floor: the variance has a floor only.
    assert programme["varianceOriginal"] == {"kind": "AT_LEAST", "low": "300000000", "high": None}
    assert programme["varianceCurrent"] == {"kind": "AT_LEAST", "low": "-200000000", "high": None}
    assert programme["yearlyEstimate"] == {"kind": "EXACT", "low": "250000000", "high": "250000000",
                                           "label": "250 MNOK"}
    spent = lines["actor:south-trust"]
    assert (spent["actors"], spent["costToDate"]) == (["south-trust"], {
        "kind": "AT_LEAST", "low": "1000000000", "high": None, "label": "minst 1 mrd."})
    assert _lines(api, asOf="2023-12-31")["programme"]["yearlyEstimate"]["label"] == "om lag 200 MNOK"
    assert _lines(api, asOf="2025-01-01", recordedAsOf=before) == {}


def test_the_yearly_estimate_revised_keeps_its_first_amount(api: Served) -> None:
    _record_costs(api)
    estimates = api.reader.data(COSTS, {"asOf": "2025-01-01"})["costs"]["estimates"]
    assert [(e["id"], e["basis"], e["first"]["label"], e["latest"]["label"], e["revisedOn"]) for e in estimates] == [
        ("running", "per_year", "om lag 200 MNOK", "250 MNOK", "2024-01-01"),
        ("total", "one_off", "minst 3,8 mrd.", "minst 3,8 mrd.", None)]


def test_the_comparison_has_cost_rows_against_the_original_and_current_budget(api: Served) -> None:
    _record_costs(api)
    rows = api.reader.data(COMPARISON, {"baseline": "2022-06-01", "against": "2025-01-01"})["comparison"]["costRows"]
    assert [row["scope"] for row in rows] == ["programme", "actor:south-trust"]
    programme = rows[0]
    assert programme["baselineBudget"] == programme["budgetOriginal"] == {
        "kind": "RANGE", "low": "3000000000", "high": "3500000000"}
    assert programme["budgetCurrent"] == {"kind": "AT_MOST", "low": None, "high": "4000000000"}
    assert programme["baselineEstimate"] == programme["estimate"]
    assert programme["estimateChange"] is None  # at least 3.8 bn then and now: the change has no bound
    assert programme["varianceOriginal"] == {"kind": "AT_LEAST", "low": "300000000", "high": None}
    assert programme["varianceCurrent"] == {"kind": "AT_LEAST", "low": "-200000000", "high": None}
    assert rows[1]["costToDate"] == {"kind": "AT_LEAST", "low": "1000000000", "high": None}


@pytest.mark.parametrize(("amount", "field", "message"), [
    (_money("RANGE", "9-2", low="9", high="2"), "amount", "low 9 is above high 2"),
    (_money("AT_LEAST", "x", amount="5", high="9"), "amount.amount", "give amount, or low and high, not both"),
    (_money("RANGE", "5", amount="5"), "amount.amount", "a range needs low and high"),
])
def test_bad_money_is_a_typed_problem_and_nothing_is_written(
    api: Served, ledger: LedgerApplication, amount: Json, field: str, message: str,
) -> None:
    before = ledger.last_position()
    problem = record(api.recorder, "setBudget", "BudgetSetInput", _entry("2021-06-01", "bad", amount=amount))
    assert (problem["__typename"], problem["code"], problem["field"]) == ("InvalidInputProblem", "INVALID_INPUT",
                                                                           field)
    assert message in problem["message"]
    assert ledger.last_position() == before
    assert _lines(api, asOf="2025-01-01") == {}


def test_non_ascii_digits_and_an_unknown_kind_are_refused_before_anything_is_written(
    api: Served, ledger: LedgerApplication,
) -> None:
    before = ledger.last_position()
    answer = api.recorder.execute(
        'mutation { setBudget(input: {programmeId: "demo", effective: "2021-06-01", '
        'amount: {kind: EXACT, amount: "١٢٣٤", label: "x"}}) { __typename } }')
    assert answer["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "'١٢٣٤' is not an amount" in answer["errors"][0]["message"]
    answer = api.recorder.execute(
        'mutation { setBudget(input: {programmeId: "demo", effective: "2021-06-01", '
        'amount: {kind: ROUGHLY, amount: "5", label: "x"}}) { __typename } }')
    assert "ROUGHLY" in answer["errors"][0]["message"]
    assert ledger.last_position() == before


def test_the_readme_costs_query_answers_as_the_readme_says(store_url: str, tokens: Tokens) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r"```graphql\n(.*?)```", readme, flags=re.S)
    assert len(queries) == 1
    assert main(["import", "helseplattformen", "--database", store_url], out=StringIO(), err=StringIO()) == 0
    with serve(store_url, tokens, public_reads=False) as api:
        costs = api.reader.data(queries[0])["costs"]
    assert costs["lines"] == [{
        "scope": "actor:helse-more-og-romsdal+helse-nord-trondelag",
        "budgetOriginal": {"kind": "AT_MOST", "low": None, "high": "380000000", "label": "inntil 380 millioner kroner"},
        "budgetCurrent": {"kind": "AT_MOST", "low": None, "high": "522000000", "label": "økt til 522 millioner kroner"},
        "estimate": None, "varianceCurrent": None,
    }]
    assert costs["reserves"] == [{"id": "risikoavsetning", "total": "600000000", "allocated": "522000000",
                                  "remaining": "78000000"}]
