"""Projector leadership: of all the processes on one database, only the holder of a session-level
advisory lock runs the projector; the others read and follow.

The lock lives on a dedicated connection. When the leader's process dies its connection closes,
PostgreSQL releases the lock at once, and the next process to try (every catch-up, at least every
poll interval) takes over. Correctness never rests on the lock alone: every batch is applied under
a transaction lock and skips what the tracking position already covers, so even two processes
that both believe they lead would neither double nor skip an entry.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

log = logging.getLogger("ledger.leader")
LEADER_LOCK = 4242004  # pg_advisory_lock key; PROJECTOR_LOCK (per batch) is 4242003


def application_name(role: str) -> str:
    """What pg_stat_activity shows for this process's connection: `ledger status` names the leader by it."""
    return f"ledger {role} pid {os.getpid()} on {socket.gethostname()}"[:63]


class Leadership:
    """Tries to hold LEADER_LOCK on its own connection; `leads` says whether it does."""

    def __init__(self, url: str, role: str = "projector") -> None:
        self.url = url
        self.role = role
        self._connection: Any = None
        self.leads = False

    async def try_lead(self) -> bool:
        """Take the lock if it is free (or keep it); returns whether this process leads now."""
        import asyncpg

        if self._connection is not None and self._connection.is_closed():
            self._connection, self.leads = None, False
        if self.leads:
            return True
        try:
            if self._connection is None:
                self._connection = await asyncpg.connect(
                    self.url, server_settings={"application_name": application_name(self.role)})
            self.leads = bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK))
        except (OSError, asyncpg.PostgresError):
            log.exception("could not ask for the projector leadership; trying again later")
            await self.close()
            return False
        if self.leads:
            log.info("this process now leads the projector (pid %s)", os.getpid())
        return self.leads

    async def close(self) -> None:
        """Give the leadership up (closing the connection releases the lock)."""
        connection, self._connection, self.leads = self._connection, None, False
        if connection is not None and not connection.is_closed():
            await connection.close()
