"""Readers asking the in-memory read model while it catches up with 30,000 entries.

Four reader threads (plan, comparison, history, log pages) ask questions while another thread
runs `catch_up` over a real SQLite ledger. No question may fail, and every answer must be the
reference fold's answer at a position the model published while the question was asked: the
model publishes only at 0 and at the end of each batch it reads, so an answer that matches no
such position saw a batch half applied.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ledger.application import LedgerApplication, open_ledger
from ledger.entry import RecordedEntry
from ledger.settings import StoreLocation
from projections.audit import LogQuery
from projections.fold import plan_at
from projections.memory import InMemoryReadModel
from projections.plan import END_OF_TIME
from tests.prefix_fold import PrefixFold
from tests.synthetic_ledger import PROGRAMME, Days, record_in_chunks, synthetic_entries

ENTRIES = 30_000
BATCH = 1000  # the catch-up's batch: readers may see positions 0, 1000, 2000, ... only
WRITE_CHUNK = 1000
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)  # every entry recorded so far counts
ACTOR = "actor-7"
# Pages of the entries that corrections and retractions target, at points along the log:
# their fates (corrected by, retracted by) change as the catch-up goes on.
TARGETS = frozenset({"WaveRescheduled", "StatusAssessed"})
FATE_PAGES_AFTER = range(0, ENTRIES, 2500)
# An actor's history is worked out afresh from the whole log on every call, at a cost that grows
# faster than the log (about 1 s at 5,000 entries, 10 s at 20,000, 20 s at 30,000 here), and the
# test computes each answer's reference the same way; so the history reader starts no question
# after the model passes this position (it still runs alongside the catch-up's first third).
HISTORY_UNTIL = 10_000


@dataclass(frozen=True)
class Question:
    """One question a reader asks the model, and what the fold answers to it at a position."""

    reader: str
    ask: Callable[[InMemoryReadModel], object]
    expected: Callable[[PrefixFold, int], object]


@dataclass(frozen=True)
class Observation:
    """A question asked between two readings of the model's position, and how it went."""

    question: Question
    before: int
    after: int
    answer: object = None
    error: str | None = None


def questions(days: Days) -> dict[str, list[Question]]:
    """Each reader's questions, asked in turn until the catch-up ends."""
    def plan(on: date) -> Question:
        return Question("plan", lambda model: model.plan(PROGRAMME, on, FAR_FUTURE),
                        lambda fold, position: fold.plan(on, position))

    def page(query: LogQuery) -> Question:
        return Question("log", lambda model: model.log_page(query),
                        lambda fold, position: fold.log_page(query, position))

    log_pages = [LogQuery(programme=PROGRAMME, first=100),
                 LogQuery(programme=PROGRAMME, types=frozenset({"EntryCorrected", "EntryRetracted"}), first=100)]
    log_pages += [LogQuery(programme=PROGRAMME, types=TARGETS, after=after, first=100) for after in FATE_PAGES_AFTER]
    return {
        "plan": [plan(days.middle), plan(days.end), plan(END_OF_TIME)],
        "comparison": [Question(
            "comparison", lambda model: model.comparison(PROGRAMME, days.baseline, days.end, FAR_FUTURE),
            lambda fold, position: fold.comparison(days.baseline, days.end, position))],
        "history": [Question(
            "history", lambda model: model.actor_history(PROGRAMME, ACTOR, FAR_FUTURE),
            lambda fold, position: fold.history(ACTOR, position))],
        "log": [page(query) for query in log_pages],
    }


def keep_asking(model: InMemoryReadModel, asked: list[Question], done: threading.Event,
                seen: list[Observation], until: int | None = None) -> None:
    """Ask the questions in turn, bracketing each by the model's position, until `done`.

    A round is asked once the model has moved on since the last (so each round runs while the
    catch-up applies a batch); with `until`, no round starts after the model passes it.
    """
    last = -1
    while not done.is_set() and (until is None or model.position <= until):
        if model.position == last:
            time.sleep(0.0005)
            continue
        last = model.position
        for question in asked:
            before = model.position
            try:
                answer = question.ask(model)
            except Exception:
                seen.append(Observation(question, before, model.position, error=traceback.format_exc()))
                continue
            seen.append(Observation(question, before, model.position, answer))


def failed_kinds(errors: Sequence[Observation]) -> dict[tuple[str, str], int]:
    """How many questions of each reader failed with each exception (its traceback's last line)."""
    return dict(Counter((o.question.reader, (o.error or "").strip().splitlines()[-1]) for o in errors))


def published_positions(log: Sequence[RecordedEntry], batch: int) -> list[int]:
    """Where a catch-up from 0 in batches of `batch` publishes a view: 0 and each batch's end."""
    ends = [log[end - 1].position for end in range(batch, len(log) + 1, batch)]
    return sorted({0, *ends, log[-1].position})


def matches(observation: Observation, fold: PrefixFold, published: Sequence[int]) -> bool:
    """Whether the answer is the fold's at some published position inside the bracket."""
    bracket = [p for p in published if observation.before <= p <= observation.after]
    return any(observation.question.expected(fold, p) == observation.answer for p in bracket)


@pytest.fixture
def synthetic_ledger(tmp_path: Path) -> Iterator[LedgerApplication]:
    """A SQLite ledger holding the synthetic history, written in chunks of 1000."""
    app = open_ledger(StoreLocation(f"sqlite:///{tmp_path / 'ledger.db'}"))
    for _position in record_in_chunks(app, synthetic_entries(ENTRIES, seed=9), WRITE_CHUNK):
        pass
    yield app
    app.close()


def test_readers_during_a_catch_up_see_whole_batches_only(synthetic_ledger: LedgerApplication) -> None:
    ledger = synthetic_ledger
    log = ledger.read_all()
    assert len(log) == ENTRIES
    kinds = {recorded.entry.type for recorded in log}
    assert {"EntryCorrected", "EntryRetracted", "DecisionRecorded"} <= kinds

    days = Days.of([recorded.entry for recorded in log])
    model = InMemoryReadModel()
    done = threading.Event()
    taken: list[int] = []
    failures: list[str] = []

    def catch_up() -> None:
        try:
            taken.append(model.catch_up(ledger, batch=BATCH))
        except Exception:
            failures.append(traceback.format_exc())
        finally:
            done.set()

    catcher = threading.Thread(target=catch_up, name="catch-up")
    catcher.start()
    while model.position == 0 and not done.is_set():
        time.sleep(0.001)  # the programme and its actors exist once the first batch is published
    seen: dict[str, list[Observation]] = {}
    readers = []
    for name, asked in questions(days).items():
        seen[name] = []
        until = HISTORY_UNTIL if name == "history" else None
        readers.append(threading.Thread(target=keep_asking, args=(model, asked, done, seen[name], until), name=name))
    for reader in readers:
        reader.start()
    for thread in (catcher, *readers):
        thread.join()

    assert failures == []
    assert taken == [ENTRIES]
    final = log[-1].position
    assert model.position == final
    observations = [o for found in seen.values() for o in found]
    errors = [o for o in observations if o.error is not None]
    assert not errors, (
        f"{len(errors)} of {len(observations)} questions failed: {failed_kinds(errors)}; the first:\n{errors[0].error}")

    # Not vacuous: every reader asked while the catch-up ran, at several positions in all.
    for name, found in seen.items():
        assert any(o.before > 0 and o.after < final for o in found), f"the {name} reader never asked mid-way"
    exact = {o.before for o in observations if o.before == o.after and 0 < o.before < final}
    assert len(exact) >= 3, f"answers were seen at only {sorted(exact)} strictly inside the catch-up"

    fold = PrefixFold(log, PROGRAMME, FAR_FUTURE)
    published = published_positions(log, BATCH)
    unmatched = [o for o in sorted(observations, key=lambda o: o.before) if not matches(o, fold, published)]
    assert not unmatched, (
        f"{len(unmatched)} of {len(observations)} answers match the fold at no published position "
        f"they could have seen; the first: {[(o.question.reader, o.before, o.after) for o in unmatched[:10]]}"
    )

    # The fold stepped one entry at a time is the fold: check it against a replay from the start.
    assert fold.plan(days.end, final) == plan_at(log, PROGRAMME, days.end, FAR_FUTURE)
    print(f"\n{len(observations)} answers at {len(exact)} exact positions inside the catch-up; "
          + ", ".join(f"{name}: {len(found)}" for name, found in seen.items()))
