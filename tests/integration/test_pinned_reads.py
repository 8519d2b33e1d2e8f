"""One request, one log position: a pinned read service keeps answering from the view its first
question took, however far the read model moves on, until the request writes and releases it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ledger.application import LedgerApplication
from ledger.importer import import_text
from projections.memory import InMemoryReadModel
from projections.service import ReadService, answered
from tests.conftest import SAMPLE

LATER = datetime.now(UTC) + timedelta(days=1)


def test_a_pinned_service_answers_from_one_view_until_released(app: LedgerApplication) -> None:
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    history = app.read_all()
    model = InMemoryReadModel()
    for recorded in history[:12]:  # before harbour's go-live and the later moves
        model.apply(recorded)
    model.publish()
    pinned = ReadService(model).pinned()
    first = answered(pinned.plan("demo", date(2024, 1, 1), LATER))
    assert first is not None

    for recorded in history[12:]:
        model.apply(recorded)
    model.publish()

    current = answered(ReadService(model).plan("demo", date(2024, 1, 1), LATER))
    assert current != first  # the model moved on: later entries changed the plan
    assert answered(pinned.plan("demo", date(2024, 1, 1), LATER)) == first
    entry = history[-1].entry_id
    assert answered(pinned.entry(entry)) is None  # not in the pinned view
    pinned.release()
    assert answered(pinned.plan("demo", date(2024, 1, 1), LATER)) == current
    assert answered(pinned.entry(entry)) is not None


def test_a_closed_model_takes_in_nothing_more_so_the_store_can_close_under_it(app: LedgerApplication) -> None:
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    model = InMemoryReadModel()
    model.close()
    assert model.catch_up(app) == 0
    assert model.position == 0
