"""Budgets, cost estimates and costs to date, imported and asked through the CLI on SQLite and
PostgreSQL: `ledger costs`, the plan and the comparison, both time axes, and bad input refused
with the line and the field named and nothing written.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.importer import import_text
from ledger_server.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "sample.jsonl"
SOURCE = {"title": "Cost report"}


def _line(type_name: str, effective: str, key: str, **fields: Any) -> str:
    return json.dumps({"type": type_name, "programme": "demo", "effective": effective, "key": key,
                       "source": SOURCE, **fields})


def _window(kind: str, label: str, **bounds: str) -> dict[str, str]:
    return {"kind": kind, "label": label, **bounds}


COSTS = [
    _line("BudgetSet", "2020-01-01", "c-budget", name="Programme budget",
          amount=_window("range", "3-3,5 mrd. kroner", low="3000000000", high="3500000000")),
    _line("BudgetRevised", "2023-01-01", "c-budget-2023",
          amount=_window("about", "om lag 4 mrd.", amount="4000000000")),
    _line("CostEstimated", "2022-02-01", "c-measures", estimate="measures", name="Measures package",
          basis="one_off", amount="40000000..60000000"),
    _line("CostEstimated", "2023-03-01", "c-total", estimate="total", name="Total cost", basis="one_off",
          amount=_window("at_least", "minst 4,2 mrd.", amount="4200000000")),
    _line("CostEstimated", "2022-06-01", "c-running", estimate="running", name="Running costs", basis="per_year",
          amount=_window("exact", "200 MNOK i året", amount="200000000")),
    _line("CostEstimateRevised", "2024-01-15", "c-running-2024", estimate="running",
          amount=_window("exact", "økt til 260 MNOK i året", amount="260000000")),
    _line("CostToDateReported", "2024-06-01", "c-spent", amount=_window("at_least", "minst 3,9 mrd. brukt",
                                                                       amount="3900000000")),
    _line("BudgetSet", "2021-01-01", "c-north", actors=["north-trust"], amount="500000000"),
    _line("CostToDateReported", "2023-01-01", "c-north-spent", actors=["north-trust"],
          amount=_window("at_most", "under 450 MNOK", amount="450000000")),
    _line("CostEstimated", "2022-01-01", "c-w2", estimate="w2-intro", name="W2 introduction", basis="one_off",
          wave="w2", amount=_window("about", "om lag 90 MNOK", amount="90000000")),
]


def _ledger(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    code = main([*argv, "--database", url], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _ok(url: str, *argv: str) -> str:
    code, out, err = _ledger(url, *argv)
    assert code == 0, err
    return out


def _write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def costed(store_url: str, tmp_path: Path) -> str:
    """The sample programme with the budget, estimates and costs above."""
    _ok(store_url, "import", str(SAMPLE))
    _ok(store_url, "import", _write(tmp_path, "costs.jsonl", COSTS))
    return store_url


def _costs(url: str, as_of: str, *extra: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(_ok(url, "costs", "demo", "--as-of", as_of, "--json", *extra))
    return report


def _lines(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["scope"]: line for line in report["lines"]}


def _bounds(window: dict[str, Any] | None) -> tuple[Any, ...] | None:
    return None if window is None else (window["kind"], window["low"], window["high"])


def test_costs_show_budget_estimates_cost_to_date_and_variances(costed: str) -> None:
    line = _lines(_costs(costed, "2025-01-01"))["programme"]
    assert _bounds(line["budget_original"]) == ("range", "3000000000", "3500000000")
    assert line["budget_original"]["label"] == "3-3,5 mrd. kroner"
    assert _bounds(line["budget_current"]) == ("about", "4000000000", "4000000000")
    assert (line["name"], line["budget_set_on"], line["budget_revised_on"]) == ("Programme budget", "2020-01-01",
                                                                              "2023-01-01")
    # At least 4.2 bn and 40..60 MNOK: the sum keeps the open ceiling open.
    assert _bounds(line["estimate"]) == ("at_least", "4240000000", None)
    assert _bounds(line["cost_to_date"]) == ("at_least", "3900000000", None)
    assert (line["cost_to_date"]["label"], line["cost_reported_on"]) == ("minst 3,9 mrd. brukt", "2024-06-01")
    # Against the original budget 3..3.5 bn: at least 4.24 - 3.5; against the current one, about.
    assert _bounds(line["variance_original"]) == ("at_least", "740000000", None)
    assert _bounds(line["variance_current"]) == ("about", "240000000", None)


def test_a_yearly_estimate_revised_shows_its_first_and_latest_amount(costed: str) -> None:
    before = _costs(costed, "2024-01-14")
    after = _costs(costed, "2024-01-15")
    assert _bounds(_lines(before)["programme"]["yearly_estimate"]) == ("exact", "200000000", "200000000")
    assert _bounds(_lines(after)["programme"]["yearly_estimate"]) == ("exact", "260000000", "260000000")
    running = next(e for e in after["estimates"] if e["id"] == "running")
    assert (running["basis"], running["first"]["label"], running["latest"]["label"], running["estimated_on"],
            running["revised_on"]) == ("per_year", "200 MNOK i året", "økt til 260 MNOK i året", "2022-06-01",
                                       "2024-01-15")
    assert next(e for e in before["estimates"] if e["id"] == "running")["revised_on"] is None


def test_per_actor_and_wave_lines_and_a_budget_before_its_revision(costed: str) -> None:
    lines = _lines(_costs(costed, "2022-12-31"))
    assert list(lines) == ["programme", "actor:north-trust", "wave:w2"]
    programme = lines["programme"]
    assert programme["budget_current"] == programme["budget_original"]
    assert programme["budget_revised_on"] is None
    # Only the measures package is estimated yet: 40..60 MNOK against 3..3.5 bn is an underrun.
    assert _bounds(programme["variance_original"]) == ("range", "-3460000000", "-2940000000")
    assert (lines["actor:north-trust"]["actors"], _bounds(lines["actor:north-trust"]["budget_current"])) == (
        ["north-trust"], ("exact", "500000000", "500000000"))
    assert lines["actor:north-trust"]["cost_to_date"] is None  # reported from 2023-01-01 only
    assert (lines["wave:w2"]["wave"], _bounds(lines["wave:w2"]["estimate"])) == ("w2", ("about", "90000000",
                                                                                        "90000000"))
    assert lines["wave:w2"]["variance_current"] is None  # no budget for the wave: no variance
    assert _lines(_costs(costed, "2020-01-01")).keys() == {"programme"}
    code, _out, err = _ledger(costed, "costs", "demo", "--as-of", "2019-12-31")
    assert (code, err) == (2, "error [NOT_FOUND]: programme: programme 'demo' is not known on 2019-12-31\n")


def test_costs_as_recorded_before_a_correction_show_the_original(costed: str, tmp_path: Path) -> None:
    time.sleep(0.01)
    before_correction = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    correction = json.dumps({
        "type": "EntryCorrected", "programme": "demo", "effective": "2024-02-01", "key": "c-fix",
        "source": {"title": "Cost report, corrected"}, "reason": "the report said 270",
        "target_key": "c-running-2024",
        "replacement": {"type": "CostEstimateRevised", "estimate": "running",
                        "amount": {"kind": "exact", "amount": "270000000", "label": "270 MNOK i året"}}})
    _ok(costed, "import", _write(tmp_path, "fix.jsonl", [correction]))
    then = _costs(costed, "2025-01-01", "--recorded-as-of", before_correction)
    now = _costs(costed, "2025-01-01")
    assert _lines(then)["programme"]["yearly_estimate"]["label"] == "økt til 260 MNOK i året"
    assert _lines(now)["programme"]["yearly_estimate"]["label"] == "270 MNOK i året"
    assert then["recorded_as_of"] == before_correction


def test_the_table_shows_bounds_and_the_reserve(costed: str) -> None:
    out = _ok(costed, "costs", "demo", "--as-of", "2025-01-01")
    assert re.search(r"^programme\s+3 000 000 000\.\.3 500 000 000\s+~4 000 000 000\s+≥ 4 240 000 000\s+"
                     r"≥ 3 900 000 000$", out, re.M), out
    assert re.search(r"^programme\s+≥ 740 000 000\s+~≥ 240 000 000\s+260 000 000\s+Programme budget$", out, re.M)
    assert "reserve Risk reserve: total 600 000 000, allocated 522 000 000, remaining 78 000 000 NOK" in out
    assert all(len(row) <= 100 for row in out.splitlines())


def test_the_plan_holds_the_cost_lines(costed: str) -> None:
    plan = json.loads(_ok(costed, "plan", "demo", "--as-of", "2025-01-01", "--json"))
    assert [line["scope"] for line in plan["costs"]] == ["programme", "actor:north-trust", "wave:w2"]
    assert plan["other_facts"] == []  # budget, estimate and cost facts have their own view
    assert {e["id"] for e in plan["estimates"]} == {"measures", "total", "running", "w2-intro"}


def test_the_comparison_sets_the_baseline_budget_beside_the_current_one(costed: str) -> None:
    comparison = json.loads(_ok(costed, "compare", "demo", "--baseline", "original plan", "--against",
                                "2025-01-01", "--json"))
    rows = {row["scope"]: row for row in comparison["costs"]}
    programme = rows["programme"]
    assert _bounds(programme["baseline_budget"]) == ("range", "3000000000", "3500000000")
    assert _bounds(programme["budget_current"]) == ("about", "4000000000", "4000000000")
    assert programme["baseline_estimate"] is None  # nothing was estimated by 2021-01-01
    assert programme["estimate_change"] is None
    assert _bounds(programme["variance_original"]) == ("at_least", "740000000", None)
    assert _bounds(programme["variance_current"]) == ("about", "240000000", None)
    assert _bounds(rows["actor:north-trust"]["baseline_budget"]) == ("exact", "500000000", "500000000")
    later = json.loads(_ok(costed, "compare", "demo", "--baseline", "2022-06-15", "--against", "2025-01-01",
                           "--json"))
    change = {row["scope"]: row for row in later["costs"]}["programme"]["estimate_change"]
    # 40..60 MNOK then, at least 4.24 bn now: the estimate rose by at least 4.18 bn.
    assert _bounds(change) == ("at_least", "4180000000", None)


BAD = [
    ("low above high", _line("BudgetSet", "2020-01-01", "bad", wave="w1",
                             amount=_window("range", "9-2", low="9", high="2")),
     "amount: low 9 is above high 2"),
    ("non-ASCII digits", _line("CostToDateReported", "2020-01-01", "bad",
                               amount=_window("at_least", "minst ١٢٣٤", amount="١٢٣٤")),
     "amount.amount: '١٢٣٤' is not an amount"),
    ("unknown kind", _line("CostEstimated", "2020-01-01", "bad", estimate="e", name="E", basis="one_off",
                           amount=_window("roughly", "om lag 5", amount="5")),
     "amount.kind: 'roughly' is not a kind of money window"),
    ("unknown basis", _line("CostEstimated", "2020-01-01", "bad", estimate="e", name="E", basis="monthly",
                            amount="5"),
     "basis: 'monthly' is not one of: one_off, per_year"),
    ("two scopes", _line("BudgetSet", "2020-01-01", "bad", wave="w1", deliverable="contract", amount="5"),
     "deliverable: give one scope (actors, wave or deliverable), not wave and deliverable"),
    ("a revision of no budget", _line("BudgetRevised", "2024-01-01", "bad", wave="w2", amount="5"),
     "wave: unknown budget 'wave:w2'"),
    ("a second budget for one scope", _line("BudgetSet", "2024-01-01", "bad", amount="5"),
     "budget 'programme' is already registered"),
    ("a revision before the budget", _line("BudgetRevised", "2019-06-01", "bad", amount="5"),
     "budget 'programme' is registered only from 2020-01-01"),
    ("an unknown actor", _line("CostToDateReported", "2020-01-01", "bad", actors=["nobody"], amount="5"),
     "actors[0]: unknown actor 'nobody'"),
    ("a revision of no estimate", _line("CostEstimateRevised", "2024-01-01", "bad", estimate="nothing",
                                        amount="5"),
     "estimate: unknown estimate 'nothing'"),
]


@pytest.mark.parametrize(("case", "bad", "message"), BAD, ids=[case for case, _bad, _message in BAD])
def test_bad_money_input_names_the_line_and_field_and_writes_nothing(
    costed: str, tmp_path: Path, case: str, bad: str, message: str,
) -> None:
    before = _ok(costed, "export")
    good = _line("CostToDateReported", "2025-01-01", "fine", amount="1")
    code, _out, err = _ledger(costed, "import", _write(tmp_path, "bad.jsonl", [good, bad]))
    assert code == 2, err
    assert "line 2" in err, err
    assert message in err, err
    assert "line 1" not in err, err
    assert _ok(costed, "export") == before


def test_the_import_format_examples_of_the_money_types_import(app: LedgerApplication) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    doc = (ROOT / "docs" / "import-format.md").read_text(encoding="utf-8")
    section = doc.split("## Examples of the money types", 1)[1]
    examples = re.findall(r"```jsonl\n(.*?)```", section, flags=re.S)[0]
    import_text(app, re.findall(r"```jsonl\n(.*?)```", readme, flags=re.S)[0], recorded_by="test")
    result = import_text(app, examples, recorded_by="test")
    assert result.added == len(examples.strip().splitlines()) == 5


def test_an_export_imported_into_an_empty_ledger_gives_the_same_costs(costed: str, tmp_path: Path) -> None:
    exported = tmp_path / "export.jsonl"
    _ok(costed, "export", "--output", str(exported))
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    _ok(copy, "import", str(exported))
    for day in ("2022-12-31", "2025-01-01"):
        assert _costs(copy, day)["lines"] == _costs(costed, day)["lines"]


def test_a_rebuilt_postgresql_read_model_gives_the_same_costs(postgres_url: str, tmp_path: Path) -> None:
    _ok(postgres_url, "import", str(SAMPLE))
    _ok(postgres_url, "import", _write(tmp_path, "costs.jsonl", COSTS))
    before = _costs(postgres_url, "2025-01-01")["lines"]
    _ok(postgres_url, "rebuild")
    assert _costs(postgres_url, "2025-01-01")["lines"] == before
    assert before[0]["estimate"]["low"] == "4240000000"


def test_a_bad_scope_inside_a_decision_names_its_change(costed: str, tmp_path: Path) -> None:
    before = _ok(costed, "export")
    decision = _line("DecisionRecorded", "2024-01-01", "bad-decision", title="Budget for two scopes", changes=[
        {"type": "CostToDateReported", "amount": "5"},
        {"type": "BudgetSet", "wave": "w1", "actors": ["harbour"], "amount": "5"},
    ])
    code, _out, err = _ledger(costed, "import", _write(tmp_path, "bad.jsonl", [decision]))
    assert code == 2
    assert "line 1: changes[1].wave: give one scope (actors, wave or deliverable), not actors and wave" in err, err
    assert _ok(costed, "export") == before


def test_costs_of_a_missing_ledger_or_a_misspelled_programme_are_refused(tmp_path: Path, sqlite_url: str) -> None:
    missing = tmp_path / "typo" / "ledgr.db"
    code, _out, err = _ledger(f"sqlite:///{missing}", "costs", "demo")
    assert (code, err) == (2, f"error [NOT_FOUND]: database: no ledger at {missing}; `ledger import` creates one\n")
    assert not missing.parent.exists()
    _ok(sqlite_url, "import", str(SAMPLE))
    code, _out, err = _ledger(sqlite_url, "costs", "dmeo")
    assert code == 2
    assert "no programme 'dmeo' in the ledger" in err
    assert "'demo'" in err


def test_the_audit_trail_finds_money_entries_by_their_scope_and_source(costed: str) -> None:
    logged = json.loads(_ok(costed, "log", "--actor", "north-trust", "--type", "BudgetSet", "--type",
                            "CostToDateReported", "--json"))
    assert [(e["key"], e["summary"], e["source"]["title"]) for e in logged] == [
        ("c-north", "budget for actor:north-trust set to 500000000", "Cost report"),
        ("c-north-spent", "cost to date for actor:north-trust: under 450 MNOK (at most 450000000)", "Cost report")]
