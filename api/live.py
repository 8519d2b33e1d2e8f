"""Keep the read model current and hand every new entry to live subscribers, in order.

One lock orders catching up and subscribing, so a subscriber gets exactly the entries with
positions after the one it subscribed at: no gaps, no duplicates. New entries arrive from this
process's mutations (which catch up before they answer) and from a follower that polls the
store, which also picks up entries written by other processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio

from ledger.application import LedgerApplication
from projections.audit import LogEntry
from projections.memory import InMemoryReadModel

log = logging.getLogger("ledger.live")
QUEUE_LIMIT = 10_000


@dataclass
class _Subscriber:
    programme: str | None
    queue: asyncio.Queue[LogEntry | None]


class LiveFeed:
    """The read model's follower and the subscribers' fan-out."""

    def __init__(self, app: LedgerApplication, model: InMemoryReadModel) -> None:
        self.app = app
        self.model = model
        self._lock = asyncio.Lock()
        self._subscribers: list[_Subscriber] = []

    async def catch_up(self) -> int:
        """Take in everything new in the store and publish it; returns the new position."""
        async with self._lock:
            before = self.model.position
            await anyio.to_thread.run_sync(self.model.catch_up, self.app)
            if self.model.position > before and self._subscribers:
                for entry in self.model.audit.entries_after(before):
                    self._publish(entry)
            return self.model.position

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

    async def follow(self, interval: float) -> None:
        """Poll the store forever (until cancelled) for entries written elsewhere."""
        while True:
            try:
                await self.catch_up()
            except Exception:  # the store may be briefly unreachable; keep following
                log.exception("catching up with the store failed; retrying in %.1fs", interval)
            await asyncio.sleep(interval)
