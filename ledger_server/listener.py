"""LISTEN on a dedicated connection that comes back after any connection loss.

eventsourcing NOTIFYs the event table's channel after every insert; the follower wakes on
each notification instead of waiting for its next poll. A connection lost in an outage (or a
server restart) is not re-established by asyncpg, so without this the follower silently falls
back to polling. `Listener.run` reconnects with backoff and wakes the follower after each
reconnect, so whatever was recorded while it was away is caught up at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger("ledger.listener")
RECONNECT_FIRST_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 2.0
CHECK_SECONDS = 1.0  # how often a quiet connection is checked for having died unnoticed


class Listener:
    """Keeps one LISTEN connection on `channel`, calling `wake()` on each notification."""

    def __init__(self, url: str, channel: str, wake: Callable[[], None], connect_timeout: float) -> None:
        self.url = url
        self.channel = channel
        self.wake = wake
        self.connect_timeout = connect_timeout
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._connection: Any = None
        self._lost = asyncio.Event()

    async def connect(self) -> None:
        """Open the connection and LISTEN; raises if the database cannot be reached."""
        connection = await asyncpg.connect(self.url, timeout=self.connect_timeout)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda *_: lost.set())
        await connection.add_listener(self.channel, lambda *_: self.wake())
        self._connection, self._lost = connection, lost
        self.connected.set()

    async def run(self) -> None:
        """Until cancelled: wait for the connection to be lost, then reconnect and wake the follower."""
        try:
            while True:
                await self._wait_until_lost()
                self.connected.clear()
                log.warning("the LISTEN connection was lost; reconnecting")
                await self._reconnect()
                self.reconnects += 1
                log.warning("LISTEN re-established after a lost connection")
                self.wake()  # entries recorded while it was away
        finally:
            await self.close()

    async def _wait_until_lost(self) -> None:
        while not self._lost.is_set():
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=CHECK_SECONDS)
            except TimeoutError:
                if self._connection.is_closed():
                    return
                try:
                    await self._connection.execute("SELECT 1", timeout=self.connect_timeout)
                except Exception:  # any failure of the probe means the connection is unusable
                    return

    async def _reconnect(self) -> None:
        await self.close()
        delay = RECONNECT_FIRST_SECONDS
        while True:
            try:
                await self.connect()
                return
            except Exception as error:  # the database is still away; try again shortly
                log.info("LISTEN reconnect failed (%s); retrying in %.1fs", type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(RECONNECT_MAX_SECONDS, delay * 2)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            connection.terminate()
