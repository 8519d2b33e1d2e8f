"""Bad input for the schedule, time-of-day and re-baselining types, on both stores: the error names
the field (and, in an import, the line), and the ledger is exactly as it was.

Starts from tests/data/sample.jsonl like tests/integration/test_bad_input.py, whose helpers it uses.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ledger.application import LedgerApplication
from ledger.errors import InvalidInput, InvariantViolated, NotInWave, UnknownReference
from ledger_server.cli import main
from tests.conftest import SAMPLE
from tests.integration.test_bad_input import _entry, _line, _refused, _rejected_import, ledger

__all__ = ["ledger"]  # the fixture, shared with test_bad_input.py


def test_an_unknown_time_zone_is_refused_naming_line_and_field(ledger: LedgerApplication) -> None:
    good = _line(_entry("GoLivePostponed", key="ok", actor="harbour", window="2025"))
    bad = _line(_entry("GoLiveRecorded", key="bad", actors=["south-trust"], at="22:00 Europe/Olso"))
    rejected = _rejected_import(ledger, "\n".join([good, bad]))
    assert [(e.line, e.code) for e in rejected.errors] == [(2, "INVALID_INPUT")]
    assert "at: 'Europe/Olso' is not a known IANA time zone" in rejected.errors[0].message
    assert "line 2: at: " in str(rejected)


@pytest.mark.parametrize(
    ("window", "field", "message"),
    [
        pytest.param({"earliest": "2024-05-01", "latest": "2024-05-31", "precision": "month", "label": "May",
                      "at": "22:00 Europe/Oslo"}, "window.at", "a time of day needs a window of one day",
                     id="time-on-a-month"),
        pytest.param({"earliest": "2024-05-01", "latest": "2024-05-01", "precision": "day", "label": "1 May",
                      "at": "25:00 Europe/Oslo"}, "window.at", "is not a time of day with a time zone",
                     id="hour-25"),
        pytest.param("2024-05-01 22:00", "window", "is not a time of day with a time zone", id="shorthand-no-zone"),
    ],
)
def test_a_bad_time_on_a_window_is_refused_and_nothing_is_written(
    ledger: LedgerApplication, window: object, field: str, message: str,
) -> None:
    error = _refused(ledger, _entry("GoLiveScheduled", actor="harbour", window=window), InvalidInput, "INVALID_INPUT")
    assert error.field == field
    assert message in str(error)


def test_rescheduling_an_actor_that_follows_its_wave_is_refused(ledger: LedgerApplication) -> None:
    # On 2020-07-01 north-trust follows w1: there is no own window to move.
    raw = _entry("GoLiveRescheduled", effective="2020-07-01", actor="north-trust", window="2022-06")
    error = _refused(ledger, raw, InvariantViolated, "INVARIANT_VIOLATED")
    assert error.field == "actor"
    assert "actor 'north-trust' follows its wave on 2020-07-01: postpone it or schedule it" in str(error)


def test_restoring_an_actor_that_is_on_its_waves_plan_is_refused(ledger: LedgerApplication) -> None:
    raw = _entry("ActorRestoredToWave", effective="2020-07-01", actor="north-trust", wave="w1")
    error = _refused(ledger, raw, InvariantViolated, "INVARIANT_VIOLATED")
    assert "follows its wave on 2020-07-01: there is nothing to restore" in str(error)


def test_restoring_an_actor_to_a_wave_it_is_not_in_is_refused(ledger: LedgerApplication) -> None:
    # south-trust was postponed out of w2 (demo-18); w1 is not its wave.
    raw = _entry("ActorRestoredToWave", effective="2023-06-01", actor="south-trust", wave="w1")
    error = _refused(ledger, raw, NotInWave, "NOT_IN_WAVE")
    assert error.field == "wave"
    assert "actor 'south-trust' is in 'w2' on 2023-06-01, not in 'w1'" in str(error)


def test_a_restore_inside_a_decision_names_the_change(ledger: LedgerApplication) -> None:
    raw = _entry("DecisionRecorded", effective="2020-07-01", title="Restore", changes=[
        {"type": "ActorRestoredToWave", "actor": "north-trust", "wave": "w1"}])
    error = _refused(ledger, raw, InvariantViolated, "INVARIANT_VIOLATED")
    assert error.field == "changes[0].actor"


def test_adopting_a_baseline_that_is_not_named_is_refused(ledger: LedgerApplication) -> None:
    error = _refused(ledger, _entry("BaselineAdopted", name="plan 2030"), UnknownReference, "NOT_FOUND")
    assert error.field == "name"
    assert "unknown baseline 'plan 2030'" in str(error)


def test_adopting_a_baseline_before_it_is_named_is_refused(ledger: LedgerApplication) -> None:
    # "original plan" is named effective 2021-01-01 (demo-9).
    raw = _entry("BaselineAdopted", effective="2020-12-31", name="original plan")
    error = _refused(ledger, raw, UnknownReference, "NOT_FOUND")
    assert "registered only from 2021-01-01" in str(error)


def test_a_named_baseline_cannot_be_retracted_while_an_adoption_refers_to_it(ledger: LedgerApplication) -> None:
    ledger.record(_decoded(_entry("BaselineAdopted", key="adopt", name="original plan")))
    error = _refused(ledger, _entry("EntryRetracted", target_key="demo-9"), InvariantViolated, "INVARIANT_VIOLATED")
    assert "baseline 'original plan' would lose its registration" in str(error)


def _decoded(raw: dict[str, object]) -> object:
    from ledger.codec import decode_entry

    return decode_entry(raw, recorded_by="test", require_source=True)


def test_the_cli_import_names_file_line_and_field_and_writes_nothing(store_url: str, tmp_path: Path) -> None:
    def ledger_cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main([*argv, "--database", store_url], out=out, err=err), out.getvalue(), err.getvalue()

    assert ledger_cli("import", str(SAMPLE))[0] == 0
    before = ledger_cli("export")[1]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_line(_entry("GoLiveScheduled", actor="harbour", window="2024-05-01 22:00 Mars/Olympus")) + "\n",
                   encoding="utf-8")
    code, _out, err = ledger_cli("import", str(bad))
    assert code == 2
    assert "line 1: window: 'Mars/Olympus' is not a known IANA time zone" in err, err
    assert "nothing was written" in err
    assert ledger_cli("export")[1] == before
