"""Writes from concurrent requests recorded together: one store transaction for all that wait.

Each mutation used to take the ledger's write lock for its own transaction, so eight writers
queued behind each other's commits. Here the first request starts a writer; requests that
arrive while it is writing wait in a queue and are recorded by its next round, all of them
in one `record_many`. Every request still gets its own outcome: an entry the rules refuse is
taken out of the round and recorded alone afterwards, so it gets its own error (as if it had
arrived after the others) and the others are written without it.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence

import anyio

from ledger.application import LedgerApplication, Receipt
from ledger.entry import Entry
from ledger.errors import ImportRejected

ROUND_LIMIT = 64  # entries per transaction: enough to absorb a burst, small enough to stay quick

Outcome = Receipt | BaseException


def record_together(app: LedgerApplication, entries: Sequence[Entry]) -> list[Outcome]:
    """Record entries in as few transactions as their outcomes allow; one outcome per entry."""
    if len(entries) == 1:
        return [_alone(app, entries[0])]
    outcomes: dict[int, Outcome] = {}
    refused: list[int] = []
    remaining = list(range(len(entries)))
    while remaining:
        try:
            receipts = app.record_many([entries[i] for i in remaining])
        except ImportRejected as rejected:
            # `line` counts from 1 in the entries given; those are decided alone below.
            bad = {remaining[error.line - 1] for error in rejected.errors}
            refused.extend(sorted(bad))
            remaining = [i for i in remaining if i not in bad]
            continue
        except Exception as error:  # the store failed: the same answer for every entry of the round
            outcomes.update({i: copy.copy(error) for i in remaining})
            break
        outcomes.update(zip(remaining, receipts, strict=True))
        break
    for i in refused:
        outcomes[i] = _alone(app, entries[i])
    return [outcomes[i] for i in range(len(entries))]


def _alone(app: LedgerApplication, entry: Entry) -> Outcome:
    try:
        return app.record(entry)
    except Exception as error:
        return error


class GroupCommit:
    """The server's one way of recording an entry (used only from the event loop's thread)."""

    def __init__(self, app: LedgerApplication) -> None:
        self._app = app
        self._waiting: list[tuple[Entry, asyncio.Future[Receipt]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, entry: Entry) -> Receipt:
        """Record one entry, with whatever other requests are waiting; raises its error if refused."""
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._waiting.append((entry, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self._waiting:
                taken, self._waiting = self._waiting[:ROUND_LIMIT], self._waiting[ROUND_LIMIT:]
                try:
                    outcomes = await anyio.to_thread.run_sync(record_together, self._app, [e for e, _ in taken])
                except BaseException as error:  # the writer itself was cancelled (shutdown)
                    for _entry, future in taken:
                        if not future.done():
                            future.set_exception(copy.copy(error) if isinstance(error, Exception) else error)
                    raise
                for (_entry, future), outcome in zip(taken, outcomes, strict=True):
                    if future.done():  # the request gave up waiting; the entry is recorded anyway
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._writer = None
