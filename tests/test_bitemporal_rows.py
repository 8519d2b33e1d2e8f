"""The DBA's bitemporal rows answer exactly what the read model answers, corrections included.

The benchmark's SQL peers load these rows; their timings mean something only if "the rows whose
valid period holds D and system period holds T" are the facts the index finds in force on D as
known at T.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

from projections.fact_values import encode_value
from projections.index import BitemporalIndex
from scripts.bench_setup import recorded_history
from scripts.bitemporal_rows import BitemporalRow, bitemporal_rows


def _answer(rows: list[BitemporalRow], programme: str, day: date, known: datetime) -> dict[tuple[str, ...], str]:
    found: dict[tuple[str, ...], str] = {}
    for r in rows:
        if (r.programme == programme and r.valid_from <= day and (r.valid_to is None or day < r.valid_to)
                and r.known_from <= known and (r.known_to is None or known < r.known_to)):
            key = (r.family, r.subject, r.attribute)
            assert key not in found, f"two rows of {key} hold on {day} as known at {known}"
            found[key] = r.value
    return found


def test_rows_answer_what_the_index_answers_on_any_day_as_known_at_any_time() -> None:
    history = recorded_history(4_000, programmes=2)
    assert {type(r.entry.change).__name__ for r in history} >= {"EntryCorrected", "EntryRetracted"}
    rows = list(bitemporal_rows(history))
    index = BitemporalIndex()
    for recorded in history:
        index.apply(recorded)
    published = index.publish()
    rng = random.Random(3)
    corrections = [r for r in history if type(r.entry.change).__name__ in ("EntryCorrected", "EntryRetracted")]
    # Moments just before and at corrections, where versions close, and anywhere else.
    moments = [m for r in corrections[:20] for m in (r.recorded_at - timedelta(microseconds=1), r.recorded_at)]
    moments += [rng.choice(history).recorded_at for _ in range(20)]
    for known in moments:
        day = date(2018, 1, 1) + timedelta(days=rng.randint(0, 2_500))
        for programme in ("programme-0", "programme-1"):
            ours = {key: json.dumps(encode_value(version.value))
                    for key, version in published[programme].facts_at(day, known).items()}
            assert _answer(rows, programme, day, known) == ours, (programme, day, known)


def test_a_version_overtaken_the_same_day_or_held_for_no_time_gets_no_row() -> None:
    rows = list(bitemporal_rows(recorded_history(2_000, programmes=1)))
    assert rows
    assert all(r.valid_to is None or r.valid_from < r.valid_to for r in rows)
    assert all(r.known_to is None or r.known_from < r.known_to for r in rows)
