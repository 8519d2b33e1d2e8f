"""The server's settings, read from the environment once, at start-up (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.errors import InvalidInput
from ledger.settings import StoreLocation, store_location
from ledger_server.logs import log_format

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise InvalidInput(f"{name}={raw!r} is not a yes/no value (use 1 or 0)", field=name)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name}={raw!r} is not a number", field=name) from None
    if value <= 0:
        raise InvalidInput(f"{name} must be positive", field=name)
    return value


@dataclass(frozen=True)
class ApiSettings:
    """Everything the server needs to know that is not in the request."""

    store: StoreLocation
    public_reads: bool = False
    public_introspection: bool = False  # answer __schema/__type without a token even if reads need one
    graphiql: bool = True
    request_timeout_seconds: float = 10.0
    max_body_bytes: int = 1024 * 1024
    max_page_size: int = 500
    max_depth: int = 12
    max_tokens: int = 4000
    max_aliases: int = 30
    poll_seconds: float = 0.5
    read_model: str | None = None  # "memory" or "postgres"; None chooses by the store
    response_cache: bool = True
    projector: bool = True  # whether this process may lead the PostgreSQL projector (LEDGER_PROJECTOR)
    read_database_url: str | None = None  # a replica the queries read from (LEDGER_READ_DATABASE_URL)
    log_format: str = "text"  # or "json" (LEDGER_LOG_FORMAT)

    @property
    def chosen_read_model(self) -> str:
        """The read model in use: as set, else PostgreSQL for PostgreSQL stores, memory for SQLite."""
        return self.read_model or default_read_model(self.store)

    @classmethod
    def from_environment(cls, database: str | None = None, environ: Mapping[str, str] = os.environ) -> ApiSettings:
        """Settings from LEDGER_* variables; `database` overrides LEDGER_DATABASE_URL."""
        return cls(
            store=store_location(database, environ),
            public_reads=_flag(environ, "LEDGER_PUBLIC_READS", False),
            public_introspection=_flag(environ, "LEDGER_PUBLIC_INTROSPECTION", False),
            graphiql=_flag(environ, "LEDGER_GRAPHIQL", True),
            request_timeout_seconds=_number(environ, "LEDGER_REQUEST_TIMEOUT", 10.0),
            poll_seconds=_number(environ, "LEDGER_POLL_SECONDS", 0.5),
            read_model=_read_model(environ, store_location(database, environ)),
            response_cache=_flag(environ, "LEDGER_RESPONSE_CACHE", True),
            projector=_flag(environ, "LEDGER_PROJECTOR", True),
            read_database_url=_read_database(environ, store_location(database, environ)),
            log_format=log_format(environ.get("LEDGER_LOG_FORMAT")),
        )


def default_read_model(store: StoreLocation) -> str:
    """PostgreSQL stores are read from the PostgreSQL read model; SQLite stores from memory."""
    return "postgres" if store.is_postgres else "memory"


def _read_model(environ: Mapping[str, str], store: StoreLocation) -> str:
    chosen = environ.get("LEDGER_READ_MODEL", default_read_model(store))
    if chosen not in ("memory", "postgres"):
        raise InvalidInput(f"LEDGER_READ_MODEL={chosen!r} must be memory or postgres", field="LEDGER_READ_MODEL")
    if chosen == "postgres" and not store.is_postgres:
        raise InvalidInput("LEDGER_READ_MODEL=postgres needs a PostgreSQL store", field="LEDGER_READ_MODEL")
    return chosen


def _read_database(environ: Mapping[str, str], store: StoreLocation) -> str | None:
    url = environ.get("LEDGER_READ_DATABASE_URL") or None
    if url is None:
        return None
    if not StoreLocation(url).is_postgres or not store.is_postgres:
        raise InvalidInput("LEDGER_READ_DATABASE_URL is a PostgreSQL replica of a PostgreSQL store: "
                           f"{StoreLocation(url).describe()!r} with the store {store.describe()!r}",
                           field="LEDGER_READ_DATABASE_URL")
    if _read_model(environ, store) != "postgres":
        raise InvalidInput("LEDGER_READ_DATABASE_URL needs the PostgreSQL read model", field="LEDGER_READ_DATABASE_URL")
    return url
