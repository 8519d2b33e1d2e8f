"""User stories on both stores: import a history, ask the plan on a date, compare, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ledger.application import LedgerApplication
from ledger.importer import import_text
from projections.memory import InMemoryReadModel
from tests.conftest import SAMPLE

NOW = datetime(2100, 1, 1, tzinfo=UTC)


def _imported(app: LedgerApplication) -> InMemoryReadModel:
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    model = InMemoryReadModel()
    model.catch_up(app)
    return model


def test_reimporting_the_same_file_adds_nothing(app: LedgerApplication) -> None:
    first = import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    second = import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="someone else")
    assert (first.added, first.already_present) == (22, 0)
    assert (second.added, second.already_present) == (0, 22)
    assert app.last_position() == 22


def test_the_plan_on_a_date_follows_postponements_and_moves(app: LedgerApplication) -> None:
    model = _imported(app)
    before = model.require_plan("demo", date(2022, 1, 1), NOW)
    north = before.actor("north-trust")
    assert north is not None
    assert (north.wave, north.status, str(north.planned.earliest)) == ("w1", "planned", "2022-04-30")  # type: ignore[union-attr]

    postponed = model.require_plan("demo", date(2022, 4, 1), NOW).actor("north-trust")
    assert postponed is not None
    assert postponed.status == "postponed"
    assert postponed.planned is not None
    assert (postponed.planned.earliest, postponed.planned.latest) == (date(2022, 8, 15), None)

    live = model.require_plan("demo", date(2022, 12, 1), NOW)
    assert [a.id for a in live.actors if a.status == "live"] == ["harbour", "north-trust"]
    # south-trust was postponed on 2022-10-01, so it no longer goes live with w2.
    assert live.wave("w2").actors == ("north-trust",)  # type: ignore[union-attr]


def test_reserve_remaining_before_and_after_the_revision(app: LedgerApplication) -> None:
    model = _imported(app)
    february = model.require_plan("demo", date(2023, 3, 1), NOW).reserve("risk")
    may = model.require_plan("demo", date(2023, 6, 1), NOW).reserve("risk")
    assert february is not None
    assert may is not None
    assert (february.allocated, february.remaining) == (380_000_000, 220_000_000)
    assert (may.allocated, may.remaining) == (522_000_000, 78_000_000)


def test_a_correction_shows_only_to_questions_recorded_after_it(app: LedgerApplication) -> None:
    model = _imported(app)
    log = model.log
    correction = next(r for r in log if r.entry.type == "EntryCorrected")
    just_before = log[correction.position - 2].recorded_at  # the entry before the correction
    original = model.require_plan("demo", date(2023, 12, 1), just_before).actor("south-trust")
    corrected = model.require_plan("demo", date(2023, 12, 1), NOW).actor("south-trust")
    assert original is not None
    assert corrected is not None
    if just_before < correction.recorded_at:
        assert original.planned is not None
        assert original.planned.label == "2023-Q4"
    assert corrected.planned is not None
    assert corrected.planned.label == "2024-Q1"
    audit = model.audit.get("demo:18")
    assert audit is not None
    assert audit.corrected_by == ("demo:22",)


def test_original_plan_against_actuals(app: LedgerApplication) -> None:
    model = _imported(app)
    comparison = model.comparison("demo", "original plan", date(2024, 6, 1), NOW)
    rows = {row.subject: row for row in comparison.actors}
    assert (rows["harbour"].actual, rows["harbour"].slip_days_earliest, rows["harbour"].status) == (
        date(2022, 5, 7), 7, "late")
    assert rows["north-trust"].slip_days_latest == 196
    # Its window (2024-Q1, as corrected) closed before 2024-06-01 with no go-live: overdue.
    assert (rows["south-trust"].status, rows["south-trust"].days_overdue) == (
        "overdue", (date(2024, 6, 1) - date(2024, 3, 31)).days)
    assert rows["south-trust"].slip_days_latest == (date(2024, 3, 31) - date(2022, 11, 30)).days
    assert comparison.summary == {"late": 2, "overdue": 1}
