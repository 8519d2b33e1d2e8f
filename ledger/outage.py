"""Recognising a store that cannot be reached, and saying so in one line.

Every layer talks to a database through a different driver (psycopg under eventsourcing and
the token table, asyncpg for the PostgreSQL read model, sqlite3), and each says "unreachable"
in its own exception classes. `is_store_failure` knows them all, so the server can answer a
retryable 503 and the CLI a one-line error instead of a traceback; `unavailable` builds the
`StoreUnavailable` naming the store (never its password) and the cause.
"""

from __future__ import annotations

import sqlite3
from functools import cache
from typing import TYPE_CHECKING

from ledger.errors import StoreUnavailable

if TYPE_CHECKING:
    from ledger.settings import StoreLocation


@cache
def _failures() -> tuple[type[BaseException], ...]:
    # The drivers are imported here, on the first failure, not when this module is: the CLI
    # imports it for every command, and `ledger --help` must not load the server stack.
    import asyncpg
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError

    from ledger.fail_fast_store import StoreConnectionFailed

    return (
        StoreConnectionFailed,
        OSError,  # refused, reset, unreachable host, a name that does not resolve
        TimeoutError,
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        sqlite3.OperationalError,
        asyncpg.PostgresConnectionError,  # includes a connection that died under a query
        asyncpg.InterfaceError,  # "connection is closed", a pool that is closing
        asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
        asyncpg.exceptions.InvalidCatalogNameError,  # no such database
        asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # no such role, bad password
        asyncpg.exceptions.InsufficientResourcesError,  # too many connections
        # What asyncpg raises when a pooled connection that died in an outage is used or reset
        # ("cannot switch to state ...; another operation is in progress").
        asyncpg.exceptions.InternalClientError,
    )


def is_store_failure(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached or stopped answering."""
    return isinstance(error, _failures())


def never_connected(error: BaseException) -> bool:
    """Whether the failure happened before any statement could reach the server."""
    import psycopg_pool

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, psycopg_pool.PoolTimeout | ConnectionRefusedError):
            return True
        cause = cause.__cause__
    return False


def cause_of(error: BaseException) -> str:
    """The driver's own words for the failure, on one line."""
    text = " ".join(str(error).split())
    if not text:
        text = "no answer within the connect timeout" if isinstance(error, TimeoutError) else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def unavailable(location: StoreLocation, error: BaseException, *, writing: bool = False) -> StoreUnavailable:
    """The ledger's error for `error`, naming the store and the cause."""
    written = "nothing was written; " if writing else ""
    return StoreUnavailable(
        f"cannot reach the store at {location.describe()}: {cause_of(error)}; {written}retry when it answers"
    )


def probe(location: StoreLocation) -> None:
    """Connect once, bounded by the connect timeout; raise `StoreUnavailable` if that fails.

    A PostgreSQL store is probed before the event store library opens its pool, whose own
    error only says that no connection came within the timeout, not why.
    """
    if not location.is_postgres:
        return
    import psycopg

    try:
        psycopg.connect(location.url, connect_timeout=location.connect_timeout_seconds).close()
    except psycopg.Error as error:
        raise unavailable(location, error) from None
