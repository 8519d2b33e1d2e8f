"""Bearer tokens with a role. Only a token's SHA-256 hash is stored, next to the event store.

Roles are ordered: reader < recorder < admin. Recording needs recorder; corrections,
retractions and baselines need admin; reads need reader unless public reads are on.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from ledger.errors import AccessDenied, InvalidInput
from ledger.outage import unavailable
from ledger.settings import StoreLocation

ROLES = ("reader", "recorder", "admin")
TABLE = "ledger_api_tokens"
TOKEN_PREFIX = "lgr_"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with which role."""

    name: str
    role: str

    def allows(self, role: str) -> bool:
        """Whether this principal's role includes `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Tokens in a small table of the same database as the ledger."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self._known: dict[str, Principal] = {}  # tokens are never revoked, so a hit stays valid
        with self._cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
                "role TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        try:
            with self._connected_cursor() as cursor:
                yield cursor
        except (psycopg.OperationalError, sqlite3.OperationalError) as error:
            raise unavailable(self.location, error) from None

    @contextmanager
    def _connected_cursor(self) -> Iterator[Any]:
        if self.location.is_postgres:
            timeout = self.location.connect_timeout_seconds
            with psycopg.connect(self.location.url, autocommit=True, connect_timeout=timeout) as connection, \
                    connection.cursor() as cursor:
                yield cursor
        else:
            database = sqlite3.connect(self.location.sqlite_path, timeout=10)
            try:
                with database:
                    yield database.cursor()
            finally:
                database.close()

    def create(self, role: str, name: str | None = None) -> tuple[str, Principal]:
        """Make a token; the secret is returned once and never stored."""
        if role not in ROLES:
            raise InvalidInput(f"{role!r} is not a role (one of {', '.join(ROLES)})", field="role")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        principal = Principal(name or f"{role}-{_hash(token)[:8]}", role)
        marker = "%s" if self.location.is_postgres else "?"
        with self._cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (hash, name, role, created_at) VALUES ({marker}, {marker}, {marker}, {marker})",
                (_hash(token), principal.name, role, datetime.now(UTC).isoformat()),
            )
        return token, principal

    def knows(self, token: str) -> bool:
        """Whether `token` was looked up before (so `principal` needs no database)."""
        return _hash(token) in self._known

    def principal(self, token: str) -> Principal | None:
        """The principal of a token, or None if the token is unknown."""
        digest = _hash(token)
        if digest in self._known:
            return self._known[digest]
        marker = "%s" if self.location.is_postgres else "?"
        with self._cursor() as cursor:
            cursor.execute(f"SELECT name, role FROM {TABLE} WHERE hash = {marker}", (digest,))
            row = cursor.fetchone()
        if row is None:
            return None
        self._known[digest] = Principal(name=row[0], role=row[1])
        return self._known[digest]


def principal_from_header(header: str | None, tokens: TokenStore) -> Principal | None:
    """The caller named by an `Authorization: Bearer ...` header; None when there is none.

    Raises UNAUTHENTICATED for a malformed header or an unknown token.
    """
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AccessDenied("the Authorization header must be 'Bearer <token>'", code="UNAUTHENTICATED")
    principal = tokens.principal(token.strip())
    if principal is None:
        raise AccessDenied("the bearer token is not known to this ledger", code="UNAUTHENTICATED")
    return principal


def require(principal: Principal | None, role: str, action: str) -> Principal:
    """The principal, if it may do `action` (which needs `role`); else UNAUTHENTICATED/FORBIDDEN."""
    if principal is None:
        raise AccessDenied(f"{action} needs a bearer token with the {role} role", code="UNAUTHENTICATED")
    if not principal.allows(role):
        raise AccessDenied(
            f"{action} needs the {role} role; this token has {principal.role}", code="FORBIDDEN"
        )
    return principal
