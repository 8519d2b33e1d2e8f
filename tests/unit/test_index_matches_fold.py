"""The bitemporal index gives the same answers as the pure fold, for any history."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.entry import RecordedEntry
from projections import fold
from projections.index import BitemporalIndex
from projections.plan import assemble
from tests.histories import PROGRAMME, START, T0, histories

as_of_dates = st.integers(min_value=-30, max_value=1000).map(lambda n: START + timedelta(days=n))
recorded_offsets = st.integers(min_value=-1, max_value=200).map(lambda n: T0 + timedelta(minutes=n))


@settings(max_examples=250, deadline=None)
@given(histories(), st.lists(st.tuples(as_of_dates, recorded_offsets), min_size=1, max_size=6))
def test_index_answers_equal_the_pure_fold(history: list[RecordedEntry], questions: list) -> None:
    index = BitemporalIndex()
    for recorded in history:
        index.apply(recorded)
    for as_of, recorded_as_of in questions:
        expected = fold.facts_at(history, PROGRAMME, as_of, recorded_as_of)
        found = index.facts_at(PROGRAMME, as_of, recorded_as_of)
        assert found == expected
        assert assemble(PROGRAMME, found, as_of, recorded_as_of) == fold.plan_at(
            history, PROGRAMME, as_of, recorded_as_of
        )


@settings(max_examples=50, deadline=None)
@given(histories())
def test_histories_exercise_corrections_and_retractions(history: list[RecordedEntry]) -> None:
    # Guards the generator: a history is at least its setup entries, in sequence order.
    assert [r.seq for r in history] == list(range(1, len(history) + 1))
    assert history[0].entry.type == "ProgrammeRegistered"
    assert date(2019, 6, 1) == history[0].entry.effective
