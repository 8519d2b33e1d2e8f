"""Rule holes found by users, each closed: the reproduction is refused with a clear error and
nothing is written (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.errors import ImportRejected, UnknownReference
from ledger.exporter import export_lines
from ledger.importer import import_text
from projections.history import actor_history
from projections.memory import InMemoryReadModel
from tests.conftest import SAMPLE

State = tuple[int, list[str]]


@pytest.fixture
def ledger(app: LedgerApplication) -> LedgerApplication:
    """The sample programme `demo` (22 entries)."""
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    return app


def _state(app: LedgerApplication) -> State:
    return app.last_position(), list(export_lines(app))


def _line(type_name: str, **fields: Any) -> str:
    return json.dumps({"type": type_name, "programme": "demo", "effective": "2023-06-01",
                       "source": {"title": "Test minutes"}, **fields})


def _refused(app: LedgerApplication, *lines: str) -> str:
    """Import the lines, expect the whole file refused, check nothing changed; the error text."""
    before = _state(app)
    with pytest.raises(ImportRejected) as caught:
        import_text(app, "\n".join(lines) + "\n", recorded_by="test")
    assert _state(app) == before
    return str(caught.value)


def test_a_go_live_before_the_actors_registration_takes_effect_is_refused(ledger: LedgerApplication) -> None:
    message = _refused(
        ledger,
        _line("ActorRegistered", effective="2023-05-01", actor="late-town", name="Late kommune", kind="municipality"),
        _line("GoLiveRecorded", effective="2022-06-01", actors=["late-town"]),
    )
    assert "line 2: actors[0]: actor 'late-town' is registered only from 2023-05-01, after this entry takes " \
        "effect (2022-06-01)" in message


def test_correcting_a_registration_to_after_the_facts_about_it_is_refused(ledger: LedgerApplication) -> None:
    # harbour went live on 2022-05-07 (sample line 15): its registration cannot move past that.
    message = _refused(ledger, _line(
        "EntryCorrected", target_key="demo-5",
        replacement={"type": "ActorRegistered", "actor": "harbour", "name": "Harbour kommune", "kind": "municipality",
                     "effective": "2022-06-01"}))
    assert "actor 'harbour' is registered only from 2022-06-01, but an entry about it takes effect on" in message


def test_a_decision_with_no_changes_is_refused(ledger: LedgerApplication) -> None:
    message = _refused(ledger, _line("DecisionRecorded", title="Nothing at all", changes=[]))
    assert "line 1: changes: DecisionRecorded needs at least one item here" in message


def test_a_go_live_with_no_actors_is_refused(ledger: LedgerApplication) -> None:
    message = _refused(ledger, _line("GoLiveRecorded", actors=[]))
    assert "line 1: actors: GoLiveRecorded needs at least one item here" in message


# Arabic-Indic, fullwidth, and a mix with ASCII (written as escapes so they cannot be misread).
@pytest.mark.parametrize("amount", ["\u0661\u0662\u0663\u0664", "\uff11\uff12\uff13\uff14", "12\u06634"])
def test_money_in_digits_other_than_ascii_is_refused(ledger: LedgerApplication, amount: str) -> None:
    message = _refused(ledger, _line("ReserveChanged", reserve="risk", total=amount))
    assert f"line 1: total: {amount!r} is not an amount" in message


def test_a_correction_that_makes_a_parent_cycle_is_refused(ledger: LedgerApplication) -> None:
    # north-trust's parent is demo-rhf (sample line 4); making demo-rhf's parent north-trust closes a loop.
    message = _refused(ledger, _line(
        "EntryCorrected", target_key="demo-2",
        replacement={"type": "ActorRegistered", "actor": "demo-rhf", "name": "Demo RHF",
                     "kind": "regional_health_authority", "parent": "north-trust"}))
    assert "would be its own ancestor" in message
    assert "demo-rhf -> north-trust -> demo-rhf" in message


def test_an_empty_recorded_block_does_not_excuse_a_missing_source(ledger: LedgerApplication) -> None:
    line = json.loads(_line("StatusAssessed", status="Fine", risk="Low"))
    del line["source"]
    line["recorded"] = {}
    message = _refused(ledger, json.dumps(line))
    assert "line 1: source: an imported entry needs a source (at least a title)" in message


def test_an_exported_operational_entry_still_imports_without_a_source(ledger: LedgerApplication) -> None:
    line = json.loads(_line("StatusAssessed", status="Fine", risk="Low"))
    del line["source"]
    line["recorded"] = {"position": 40, "entry": "demo:40", "recorded_at": "2024-01-01T00:00:00+00:00",
                        "recorded_by": "token:ops"}
    assert import_text(ledger, json.dumps(line) + "\n", recorded_by="restore").added == 1


def test_history_shows_each_entry_with_the_plan_it_left_not_a_later_same_day_entry(ledger: LedgerApplication) -> None:
    # Two moves of south-trust's window on the same day: each row shows its own result.
    import_text(ledger, "\n".join([
        _line("GoLivePostponed", effective="2024-02-01", actor="south-trust", window="2024-Q3", key="same-day-1"),
        _line("GoLivePostponed", effective="2024-02-01", actor="south-trust", window="2024-Q4", key="same-day-2"),
    ]) + "\n", recorded_by="test")
    model = InMemoryReadModel()
    model.catch_up(ledger)
    rows = actor_history(model.log, model.audit, "demo", "south-trust", datetime.now(UTC) + timedelta(days=1))
    same_day = [row for row in rows if row.effective == date(2024, 2, 1)]
    assert [row.entry.key for row in same_day] == ["same-day-1", "same-day-2"]
    assert [str(row.planned.label) for row in same_day if row.planned] == ["2024-Q3", "2024-Q4"]


def test_a_programme_recorded_later_than_asked_says_so_without_an_internal_date(ledger: LedgerApplication) -> None:
    model = InMemoryReadModel()
    model.catch_up(ledger)
    before_anything = model.log[0].recorded_at - timedelta(seconds=1)
    with pytest.raises(UnknownReference) as caught:
        model.comparison("demo", "original plan", date(2024, 1, 1), before_anything)
    assert str(caught.value) == f"programme: programme 'demo' was not yet recorded at {before_anything.isoformat()}"
    with pytest.raises(UnknownReference) as unknown:
        model.comparison("nowhere", "original plan", date(2024, 1, 1), datetime.now(UTC))
    assert str(unknown.value) == "programme: programme 'nowhere' is not known"
    assert "9999" not in str(unknown.value)
