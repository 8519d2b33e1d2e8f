"""A large, realistic ledger for tests: the seeded synthetic history, decoded as an import would be."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ledger.application import LedgerApplication
from ledger.codec import decode_entry
from ledger.entry import Entry
from scripts.synthetic_history import generate

PROGRAMME = "programme-0"  # the generator's one programme


def synthetic_entries(count: int, *, seed: int) -> list[Entry]:
    """`count` entries of one programme (200 actors, 12 waves), with corrections and retractions."""
    return [
        decode_entry(line, recorded_by="synthetic", require_source=True)
        for line in generate(count, actors=200, waves=12, seed=seed)
    ]


def record_in_chunks(app: LedgerApplication, entries: Sequence[Entry], chunk: int) -> Iterator[int]:
    """Record `chunk` entries at a time, each chunk one transaction; yields the log position after each."""
    for start in range(0, len(entries), chunk):
        app.record_many(entries[start:start + chunk])
        yield app.last_position()


@dataclass(frozen=True)
class Days:
    """Dates worth asking a history about, taken from its entries."""

    middle: date  # half-way through the history's effective dates
    end: date  # a day after every entry's effective date: a plan on it holds everything
    baseline: str  # an early date, as a comparison's baseline (YYYY-MM-DD)

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> Days:
        last = max(entry.effective for entry in entries)
        return cls(entries[len(entries) // 2].effective, last + timedelta(days=1),
                   entries[len(entries) // 20].effective.isoformat())
