"""The one place that reads the environment. Nothing here connects to anything."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ledger.errors import InvalidInput

DEFAULT_DATABASE_URL = "sqlite:///ledger.db"
# Seconds a connection attempt may take (libpq counts whole seconds, at least 2).
DEFAULT_CONNECT_TIMEOUT = 2
# Seconds a command waits for one of the event store's pooled connections.
POOL_WAIT_SECONDS = 1


@dataclass(frozen=True)
class StoreLocation:
    """Where the event store lives: a SQLite file or a PostgreSQL database."""

    url: str
    connect_timeout_seconds: int = DEFAULT_CONNECT_TIMEOUT

    @property
    def is_postgres(self) -> bool:
        """Whether this is a PostgreSQL URL."""
        return self.url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file of a `sqlite:///relative` or `sqlite:////absolute` URL."""
        return Path(self.url.removeprefix("sqlite:///"))

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for this store."""
        if self.is_postgres:
            parts = urlsplit(self.url)
            return {
                "PERSISTENCE_MODULE": "ledger.fail_fast_store:FailFastPostgresFactory",
                "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
                "POSTGRES_HOST": parts.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(parts.port or 5432),
                "POSTGRES_USER": unquote(parts.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(parts.password or ""),
                # How long a command waits for a pooled connection: an outage is reported
                # within this, not after the library's default of 30 s.
                "POSTGRES_CONNECT_TIMEOUT": str(POOL_WAIT_SECONDS),
                # Check each pooled connection before use, so a connection that died in an
                # outage is replaced instead of failing the first command after it.
                "POSTGRES_PRE_PING": "y",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }

    def describe(self) -> str:
        """The location without any password, for messages."""
        if not self.is_postgres:
            return str(self.sqlite_path)
        parts = urlsplit(self.url)
        return f"postgresql://{parts.username or 'postgres'}@{parts.hostname}:{parts.port or 5432}{parts.path}"


def store_location(override: str | None = None, environ: Mapping[str, str] = os.environ) -> StoreLocation:
    """The store named by `--database`, else `LEDGER_DATABASE_URL`, else `ledger.db` here."""
    url = override or environ.get("LEDGER_DATABASE_URL") or DEFAULT_DATABASE_URL
    location = StoreLocation(url, _connect_timeout(environ))
    if not location.is_postgres and not url.startswith("sqlite:///"):
        raise InvalidInput(
            f"{url!r} is not a database URL: use sqlite:///path/to/file.db or "
            "postgresql://user@host:port/database",
            field="database",
        )
    return location


def _connect_timeout(environ: Mapping[str, str]) -> int:
    raw = environ.get("LEDGER_CONNECT_TIMEOUT")
    if raw is None:
        return DEFAULT_CONNECT_TIMEOUT
    if not raw.strip().isdigit() or int(raw) < 1:
        raise InvalidInput(
            f"LEDGER_CONNECT_TIMEOUT={raw!r} must be a whole number of seconds (at least 1)",
            field="LEDGER_CONNECT_TIMEOUT",
        )
    return int(raw)
