"""The one statement of what an entry means for belief (ledger.belief)."""

from datetime import date

import pytest

from ledger.belief import fact_changes
from ledger.changes import ActorJoined, EntryCorrected, EntryRetracted
from ledger.entry import Entry, Provenance
from ledger.timeline import Timeline


def _entry(change: object, effective: date = date(2024, 1, 1)) -> Entry:
    return Entry("demo", change, effective, f"k-{id(change)}", Provenance("tester"))  # type: ignore[arg-type]


def test_an_ordinary_entry_opens_its_own_facts_and_closes_nothing() -> None:
    changes = fact_changes(_entry(ActorJoined("oslo")), 5, lambda _seq: None)
    assert (changes.seq, changes.effective, changes.closes, changes.retracts) == (5, date(2024, 1, 1), None, False)
    assert changes.opens == ((("actor", "oslo", "membership"), "member"),)


def test_a_correction_closes_its_target_and_reopens_under_the_target_keeping_its_date() -> None:
    correction = EntryCorrected(replacement=ActorJoined("bergen"), target_entry="demo:5")
    changes = fact_changes(_entry(correction, date(2025, 6, 1)), 9, {5: date(2024, 1, 1)}.get)
    assert (changes.seq, changes.closes, changes.corrects, changes.effective) == (5, 5, True, date(2024, 1, 1))
    assert changes.opens == ((("actor", "bergen", "membership"), "member"),)


def test_a_correction_with_its_own_date_moves_the_target() -> None:
    correction = EntryCorrected(replacement=ActorJoined("oslo"), target_entry="demo:5", effective=date(2023, 3, 3))
    assert fact_changes(_entry(correction), 9, {5: date(2024, 1, 1)}.get).effective == date(2023, 3, 3)


def test_a_retraction_only_closes() -> None:
    changes = fact_changes(_entry(EntryRetracted(target_entry="demo:5")), 9, lambda _seq: None)
    assert (changes.closes, changes.retracts, changes.opens) == (5, True, ())


def test_an_unresolved_target_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="EntryRetracted names no resolved target entry"):
        fact_changes(_entry(EntryRetracted(target_key="some-key")), 9, lambda _seq: None)


def test_a_time_line_applying_the_changes_follows_correction_then_retraction() -> None:
    timeline = Timeline()
    for seq, change in [(1, ActorJoined("oslo")),
                        (2, EntryCorrected(replacement=ActorJoined("bergen"), target_entry="demo:1")),
                        (3, EntryRetracted(target_entry="demo:1"))]:
        timeline.apply(fact_changes(_entry(change), seq, timeline.effective_of))
        if seq == 2:
            assert set(timeline.keys()) == {("actor", "bergen", "membership")}
            assert timeline.effective_of(1) == date(2024, 1, 1)
    assert list(timeline.keys()) == []
    assert timeline.effective_of(1) is None
