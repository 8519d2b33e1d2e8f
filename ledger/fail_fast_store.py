"""eventsourcing's PostgreSQL store, made to report a lost connection at once instead of retrying it.

The library's recorder methods retry any connection error ten times, each attempt waiting the
pool's whole timeout, so through an outage one command waited twenty seconds or more (and
then, as often as not, succeeded after the server was back, long after the client gave up).
Here a connection error leaves the datastore as `StoreConnectionFailed`, which the library
does not retry: the application answers STORE_UNAVAILABLE (or OUTCOME_UNKNOWN for a save)
within the pool's wait, and the client retries. Everything else is the library's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory


class StoreConnectionFailed(Exception):
    """A connection to the store could not be had, or failed while in use (not retried)."""


class FailFastDatastore(PostgresDatastore):
    """A datastore whose connection errors are `StoreConnectionFailed`."""

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        try:
            with super().get_connection() as connection:
                yield connection
        except (OperationalError, InterfaceError) as error:
            raise StoreConnectionFailed(str(error)) from error


class FailFastPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory with a `FailFastDatastore` (named by PERSISTENCE_MODULE)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        # The library builds its datastore inline; the subclass only overrides get_connection,
        # so changing the class of the object it built keeps every setting it read.
        self.datastore.__class__ = FailFastDatastore
