"""Keep the read model current and hand every new entry to live subscribers, in order.

One lock orders catching up and subscribing, so a subscriber gets exactly the entries with
positions after the one it subscribed at: no gaps, no duplicates. New entries arrive from this
process's mutations (which catch up before they answer), from a follower that polls the
store, and, with PostgreSQL, from LISTEN on the event table's channel, which eventsourcing
NOTIFYs after every insert by any process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from ledger.application import LedgerApplication
from ledger.errors import StoreUnavailable
from ledger.outage import cause_of, is_store_failure
from projections.audit import LogEntry
from projections.memory import InMemoryReadModel
from projections.pg_leader import Leadership
from projections.pg_projector import PostgresProjector
from projections.pg_reader import PostgresReader

log = logging.getLogger("ledger.live")
QUEUE_LIMIT = 10_000
FOLLOW_POLL_SECONDS = 0.02  # how often a follower looks at the tracking position while it waits


class Projection(Protocol):
    """A read model that can catch up with the store and list what it took in."""

    async def catch_up(self) -> int: ...

    async def entries_after(self, position: int, up_to: int) -> list[LogEntry]: ...


class InMemoryProjection:
    """The in-memory read model, caught up in a worker thread."""

    def __init__(self, app: LedgerApplication, model: InMemoryReadModel) -> None:
        self.app = app
        self.model = model

    async def catch_up(self) -> int:
        await anyio.to_thread.run_sync(self.model.catch_up, self.app)
        return self.model.position

    async def entries_after(self, position: int, up_to: int) -> list[LogEntry]:
        return [e for e in self.model.audit.entries_after(position) if e.position <= up_to]


class PostgresProjection:
    """The PostgreSQL read model: this process's projector, and its reader for the entries.

    With a `leadership`, only the process that leads runs the projector; the others wait until
    the leader has applied what the store held when they asked (read-your-writes), and try to
    take the lead each time, so they take over when the leader dies. A process that may not
    project (`LEDGER_PROJECTOR=0`) only ever waits.
    """

    def __init__(self, projector: PostgresProjector, reader: PostgresReader,
                 leadership: Leadership | None = None, may_project: bool = True) -> None:
        self.projector = projector
        self.reader = reader
        self.leadership = leadership
        self.may_project = may_project

    async def _leads(self) -> bool:
        if not self.may_project:
            return False
        return self.leadership is None or await self.leadership.try_lead()

    async def catch_up(self) -> int:
        """Bring the read side up to what the store holds now; returns the reader's position.

        The reader may be a replica (LEDGER_READ_DATABASE_URL): the leader projects on the
        primary, and everyone waits until the replica, where the next query goes, has it too.
        """
        target = await anyio.to_thread.run_sync(self.projector.app.last_position)
        while (position := await self._reader_position()) < target:
            if await self._leads():
                await self.projector.catch_up()
                if (position := await self._reader_position()) >= target:
                    break
            await asyncio.sleep(FOLLOW_POLL_SECONDS)
        return position

    async def _reader_position(self) -> int:
        import asyncpg

        try:
            return await self.reader.refresh_position()
        except asyncpg.UndefinedTableError:
            return 0  # a replica that has not yet replayed the read model's creation

    async def entries_after(self, position: int, up_to: int) -> list[LogEntry]:
        found: list[LogEntry] = []
        while position < up_to:
            page = await self.reader.entries_after(position)
            page = [e for e in page if e.position <= up_to]
            if not page:
                break
            found.extend(page)
            position = page[-1].position
        return found


@dataclass
class _Subscriber:
    programme: str | None
    queue: asyncio.Queue[LogEntry | None]


class LiveFeed:
    """The read model's follower and the subscribers' fan-out."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self._lock = asyncio.Lock()
        self._subscribers: list[_Subscriber] = []
        self._delivered = 0
        self._wake = asyncio.Event()
        # Why the follower's last catch-up failed (None when it succeeded), for /healthz.
        self.failure: str | None = None

    async def covering(self, position: int | None) -> int:
        """Make the read side cover log position `position` (a write's, for read-your-writes).

        Concurrent writers share catch-ups: one waiting for the lock often finds that the
        catch-up before it already took its entry in, and returns without asking the store.
        With no position (an entry that was already recorded), this is a full `catch_up`.
        """
        if position is not None and self._delivered >= position:
            return self._delivered
        async with self._lock:
            if position is not None and self._delivered >= position:
                return self._delivered
            return await self._catch_up()

    async def catch_up(self) -> int:
        """Take in everything new in the store and publish it; returns the new position."""
        async with self._lock:
            return await self._catch_up()

    async def _catch_up(self) -> int:
        position = await self.projection.catch_up()
        if position > self._delivered and self._subscribers:
            for entry in await self.projection.entries_after(self._delivered, position):
                self._publish(entry)
        self._delivered = max(self._delivered, position)
        return position

    def _publish(self, entry: LogEntry) -> None:
        for subscriber in list(self._subscribers):
            if subscriber.programme not in (None, entry.programme):
                continue
            if subscriber.queue.qsize() >= QUEUE_LIMIT:
                # A subscriber this far behind is cut off rather than silently skipped.
                subscriber.queue.put_nowait(None)
                self._subscribers.remove(subscriber)
                continue
            subscriber.queue.put_nowait(entry)

    async def subscribe(self, programme: str | None) -> AsyncIterator[LogEntry]:
        """Every entry recorded after this call (of one programme, or all), in position order."""
        subscriber = _Subscriber(programme, asyncio.Queue())
        async with self._lock:
            self._subscribers.append(subscriber)
        try:
            while (entry := await subscriber.queue.get()) is not None:
                yield entry
        finally:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def wake(self, *_: Any) -> None:
        """Ask the follower to catch up now (a NOTIFY arrived)."""
        self._wake.set()

    async def follow(self, interval: float) -> None:
        """Catch up whenever woken, and at least every `interval` seconds, until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
            try:
                await self.catch_up()
            except Exception as error:  # the store may be briefly unreachable; keep following
                if not (isinstance(error, StoreUnavailable) or is_store_failure(error)):
                    log.exception("catching up with the store failed; retrying in %.1fs", interval)
                elif self.failure is None:
                    log.warning("the store cannot be reached (%s); retrying every %.1fs", cause_of(error), interval)
                self.failure = cause_of(error)
            else:
                if self.failure is not None:
                    log.warning("the read model is following the store again")
                self.failure = None
