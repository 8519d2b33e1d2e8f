"""Snapshots on both stores: a long programme is snapshotted, and a new application loads it from
the latest snapshot plus the tail, with the same state, and keeps enforcing the rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from eventsourcing.application import project_aggregate

from ledger.application import LedgerApplication, open_ledger
from ledger.codec import decode_entry
from ledger.errors import AlreadyLive, InvariantViolated
from ledger.importer import import_text
from ledger.programme import ProgrammeLedger, programme_id
from ledger.settings import StoreLocation
from tests.conftest import SAMPLE

DEMO = programme_id("demo")
RECORDED_ONE_BY_ONE = 300
TOTAL = 22 + RECORDED_ONE_BY_ONE


def _record(app: LedgerApplication, type_name: str, effective: date, **fields: Any) -> int:
    raw = {"type": type_name, "programme": "demo", "effective": effective.isoformat(),
           "source": {"title": "Weekly plan"}, **fields}
    receipt = app.record(decode_entry(raw, recorded_by="test", require_source=True))
    assert receipt.added
    return receipt.seq


@pytest.fixture
def long_programme(app: LedgerApplication) -> LedgerApplication:
    """The sample, then 300 entries recorded one command at a time: reschedules of wave w2 with a
    retraction after the 50th and a correction after the 150th, so both are inside a snapshot."""
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    start = date(2023, 1, 1)
    for n in range(RECORDED_ONE_BY_ONE - 2):
        window = f"{2024 + n // 12}-{n % 12 + 1:02d}"
        _record(app, "WaveRescheduled", start + timedelta(days=n), wave="w2", window=window)
        if n == 50:
            _record(app, "EntryRetracted", start + timedelta(days=n), key="retract-statement", target_key="demo-21")
        if n == 150:
            _record(app, "EntryCorrected", start + timedelta(days=n), key="fix-w1",
                    target_key="demo-6", replacement={"type": "WavePlanned", "wave": "w1", "code": "W1",
                                                      "window": "2022-05-07"})
    assert app.last_position() == TOTAL
    return app


@pytest.fixture
def reopened(long_programme: LedgerApplication, store_url: str) -> Iterator[LedgerApplication]:
    """A new application on the same store, with nothing cached."""
    new_app = open_ledger(StoreLocation(store_url))
    yield new_app
    new_app.close()


def _snapshot_versions(app: LedgerApplication) -> list[int]:
    assert app.snapshots is not None
    return [s.originator_version for s in app.snapshots.recorder.select_events(DEMO)]


def _programme(app: LedgerApplication) -> ProgrammeLedger:
    aggregate: Any = app.repository.get(DEMO)
    assert isinstance(aggregate, ProgrammeLedger)
    return aggregate


def test_a_long_programme_is_snapshotted_at_100_200_and_300_entries(long_programme: LedgerApplication) -> None:
    assert long_programme.snapshots is not None
    latest = long_programme.snapshots.recorder.select_events(DEMO, desc=True, limit=1)
    assert latest
    assert latest[0].originator_version >= 200
    assert _snapshot_versions(long_programme) == [100, 200, 300]


def test_a_new_application_loads_the_same_programme_from_the_snapshot_and_the_tail(
    long_programme: LedgerApplication, reopened: LedgerApplication
) -> None:
    latest = _snapshot_versions(reopened)[-1]
    assert 200 <= latest < TOTAL
    applied: list[tuple[str, int]] = []

    def watching(aggregate: Any, events: Iterable[Any]) -> Any:
        events = list(events)
        applied.extend((type(event).__name__, event.originator_version) for event in events)
        return project_aggregate(aggregate, events)

    loaded = reopened.repository.get(DEMO, projector_func=watching)
    assert isinstance(loaded, ProgrammeLedger)
    # Only the latest snapshot and the events after it were read, not the whole stream.
    assert applied == [("Snapshot", latest), *(("Recorded", v) for v in range(latest + 1, TOTAL + 1))]
    known = _programme(long_programme)
    assert loaded.version == known.version == TOTAL
    assert loaded.entries == known.entries
    assert loaded.keys == known.keys
    assert loaded.retracted == known.retracted == {"21": 22 + 52}


def test_the_state_in_the_snapshot_matches_a_full_replay(long_programme: LedgerApplication) -> None:
    assert long_programme.snapshots is not None
    snapshot: Any = next(long_programme.snapshots.get(DEMO, desc=True, limit=1))
    from_snapshot = snapshot.mutate(None)
    replayed = project_aggregate(None, long_programme.events.get(DEMO, lte=snapshot.originator_version))
    assert isinstance(from_snapshot, ProgrammeLedger)
    assert isinstance(replayed, ProgrammeLedger)
    assert from_snapshot.version == replayed.version == 300
    assert from_snapshot.entries == replayed.entries
    assert from_snapshot.keys == replayed.keys
    assert from_snapshot.retracted == replayed.retracted
    assert "_timeline" not in vars(from_snapshot)  # derived, rebuilt on first use


def test_a_reopened_ledger_records_and_enforces_the_rules(reopened: LedgerApplication) -> None:
    with pytest.raises(AlreadyLive):
        _record(reopened, "GoLiveRecorded", date(2024, 1, 1), key="harbour-again", actors=["harbour"])
    with pytest.raises(InvariantViolated, match="entry demo:21 is already retracted"):
        _record(reopened, "EntryRetracted", date(2024, 1, 1), key="retract-again", target_entry="demo:21")
    seq = _record(reopened, "GoLiveRecorded", date(2024, 3, 2), key="south-live", actors=["south-trust"], wave="w2")
    assert seq == TOTAL + 1
    assert reopened.last_position() == TOTAL + 1
    assert _programme(reopened).version == TOTAL + 1


def test_the_corrected_entry_is_believed_after_reloading(reopened: LedgerApplication) -> None:
    corrected = _programme(reopened).entries[5]
    assert corrected.key == "demo-6"
    assert str(corrected.change.window.earliest) == "2022-05-07"  # type: ignore[attr-defined]
