"""What every section of the benchmark shares: the run's sizes, the history, fresh stores, timing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.codec import decode_entry
from ledger.entry import RecordedEntry
from scripts.synthetic_history import generate
from tests import postgres


@dataclass(frozen=True)
class Mode:
    """Sizes and durations of one run."""

    name: str
    import_entries: int
    appends: int
    small: int
    large: int
    query_reps: int
    replay_reps: int
    load_seconds: float
    verify_entries: int = 2_000
    leaf_cost_entries: int = 1_000
    cli_reps: int = 1


QUICK = Mode("quick", import_entries=2_000, appends=30, small=10_000, large=30_000, query_reps=30, replay_reps=3,
             load_seconds=2.0)
FULL = Mode("full", import_entries=100_000, appends=300, small=10_000, large=1_000_000, query_reps=200,
            replay_reps=3, load_seconds=15.0, verify_entries=1_000_000, leaf_cost_entries=20_000, cli_reps=5)


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) of samples, by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def timed(action: Callable[[], Any]) -> float:
    """Seconds `action()` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def lines(entries: int, programmes: int = 1) -> list[str]:
    """The seeded synthetic history in the import format."""
    return [json.dumps(line) for line in generate(entries, programmes=programmes, actors=200, waves=12, seed=7)]


def recorded_history(entries: int, programmes: int) -> list[RecordedEntry]:
    """The same history as the store would hand it out, built without a store (for the 1M case)."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    seqs: dict[str, int] = {}
    found = []
    for position, line in enumerate(generate(entries, programmes=programmes, actors=200, waves=12, seed=7), start=1):
        entry = decode_entry(line, recorded_by="bench", require_source=True)
        seqs[entry.programme] = seqs.get(entry.programme, 0) + 1
        found.append(RecordedEntry(position, seqs[entry.programme], moment + timedelta(microseconds=position), entry))
    return found


@contextmanager
def stores(admin: str, tmp: Path, name: str) -> Iterator[dict[str, str]]:
    """A fresh SQLite file and a fresh PostgreSQL database."""
    url = postgres.create_database(admin)
    try:
        yield {"sqlite": f"sqlite:///{tmp / (name + '.db')}", "postgres": url}
    finally:
        postgres.drop_database(admin, url)
