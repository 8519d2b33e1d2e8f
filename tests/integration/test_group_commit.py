"""Concurrent writes recorded together (ledger_server.group_commit), each with its own outcome.

On both stores: entries waiting together are written in one round, an entry the rules refuse
gets its own error and keeps nothing else out, and entries that depend on each other within
a round are checked in order.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ledger.application import LedgerApplication, Receipt
from ledger.codec import decode_entry
from ledger.entry import Entry
from ledger.errors import AlreadyLive, UnknownReference
from ledger.exporter import export_lines
from ledger.importer import import_text
from ledger_server.group_commit import GroupCommit, record_together
from tests.conftest import SAMPLE


@pytest.fixture
def ledger(app: LedgerApplication) -> LedgerApplication:
    import_text(app, SAMPLE.read_text(encoding="utf-8"), recorded_by="test")
    return app


def _entry(type_name: str, key: str, **fields: Any) -> Entry:
    raw = {"type": type_name, "programme": "demo", "effective": "2023-06-01", "key": key,
           "source": {"title": "Minutes"}, **fields}
    return decode_entry(raw, recorded_by="test", require_source=True)


def _statement(n: int) -> Entry:
    return _entry("StatementRecorded", f"statement-{n}", kind="note", title=f"Statement {n}", summary="Said.")


def test_a_refused_entry_gets_its_error_and_the_others_are_written(ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    entries = [_statement(1), _entry("GoLiveRecorded", "again", actors=["harbour"], wave="w1"), _statement(2),
               _entry("ActorJoined", "ghost", actor="ghost")]
    outcomes = record_together(ledger, entries)
    assert isinstance(outcomes[0], Receipt)
    assert isinstance(outcomes[2], Receipt)
    assert isinstance(outcomes[1], AlreadyLive)
    assert "'harbour' already went live" in str(outcomes[1])
    assert isinstance(outcomes[3], UnknownReference)
    assert "ghost" in str(outcomes[3])
    assert ledger.last_position() == before + 2
    written = [line for line in export_lines(ledger) if '"key": "statement-' in line or '"key":"statement-' in line]
    assert len(written) == 2


def test_entries_that_depend_on_each_other_are_checked_in_order(ledger: LedgerApplication) -> None:
    registered = _entry("ActorRegistered", "new-actor", actor="fjord", name="Fjord kommune", kind="municipality")
    assigned = _entry("ActorAssignedToWave", "new-actor-wave", actor="fjord", wave="w2")
    outcomes = record_together(ledger, [registered, assigned])
    assert all(isinstance(outcome, Receipt) and outcome.added for outcome in outcomes)
    positions = [outcome.position for outcome in outcomes if isinstance(outcome, Receipt)]
    assert positions == sorted(positions)
    assert len(set(positions)) == 2


def test_a_repeated_key_in_one_round_is_recorded_once(ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    outcomes = record_together(ledger, [_statement(7), _statement(7)])
    assert [isinstance(o, Receipt) and o.added for o in outcomes] == [True, False]
    assert ledger.last_position() == before + 1


def test_concurrent_requests_share_rounds_and_each_gets_its_receipt(ledger: LedgerApplication) -> None:
    before = ledger.last_position()
    rounds: list[int] = []
    original = ledger.record_many

    def counting(entries: Any, **options: Any) -> list[Receipt]:
        rounds.append(len(entries))
        return original(entries, **options)

    ledger.record_many = counting  # type: ignore[method-assign]  # counts rounds; the store is real

    async def scenario() -> list[Receipt | BaseException]:
        writes = GroupCommit(ledger)
        return await asyncio.gather(*(writes.record(_statement(n)) for n in range(20)), return_exceptions=True)

    results = asyncio.run(scenario())
    assert all(isinstance(result, Receipt) and result.added for result in results), results
    assert len({result.entry_id for result in results if isinstance(result, Receipt)}) == 20
    assert ledger.last_position() == before + 20
    assert len(rounds) < 20  # waiting requests were written together, not one transaction each


def test_a_refusal_in_a_concurrent_round_reaches_only_its_request(ledger: LedgerApplication) -> None:
    before = ledger.last_position()

    async def scenario() -> list[Receipt | BaseException]:
        writes = GroupCommit(ledger)
        entries = [_statement(1), _entry("ActorJoined", "ghost", actor="ghost"), _statement(2)]
        return await asyncio.gather(*(writes.record(entry) for entry in entries), return_exceptions=True)

    first, refused, last = asyncio.run(scenario())
    assert isinstance(first, Receipt)
    assert isinstance(last, Receipt)
    assert isinstance(refused, UnknownReference)
    assert ledger.last_position() == before + 2
