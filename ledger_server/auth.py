"""Bearer tokens with a role. Only a token's SHA-256 hash is stored, next to the event store.

Roles are ordered: reader < recorder < admin. Recording needs recorder; corrections,
retractions and baselines need admin; reads need reader unless public reads are on.
A token may expire, and may be revoked; a server re-reads a token it knows at least every
RECHECK_SECONDS, so a revocation reaches every running server within that time.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.errors import AccessDenied, InvalidInput
from ledger.outage import is_store_failure, unavailable
from ledger.settings import StoreLocation
from ledger.suggest import unknown

ROLES = ("reader", "recorder", "admin")
TABLE = "ledger_api_tokens"
TOKEN_PREFIX = "lgr_"
RECHECK_SECONDS = 0.5  # how stale a server's copy of a token may be (revocation takes effect within it)
LATER_COLUMNS = ("expires_at", "revoked_at")  # added after the first release: older tables lack them


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with which role."""

    name: str
    role: str

    def allows(self, role: str) -> bool:
        """Whether this principal's role includes `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class TokenInfo:
    """What `ledger token list` shows of a token (never the token, nor its hash)."""

    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class _Known:
    principal: Principal
    expires_at: datetime | None
    checked: float  # time.monotonic() of the last read


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class TokenStore:
    """Tokens in a small table of the same database as the ledger."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self._known: dict[str, _Known] = {}
        with self._cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (hash TEXT PRIMARY KEY, name TEXT NOT NULL, "
                "role TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)"
            )
            self._add_later_columns(cursor)

    def _add_later_columns(self, cursor: Any) -> None:
        """Give a table made by an older version the columns it lacks."""
        if self.location.is_postgres:
            for column in LATER_COLUMNS:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {column} TEXT")
            return
        present = {row[1] for row in cursor.execute(f"PRAGMA table_info({TABLE})").fetchall()}
        for column in LATER_COLUMNS:
            if column not in present:
                cursor.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} TEXT")

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        try:
            with self._connected_cursor() as cursor:
                yield cursor
        except sqlite3.OperationalError as error:
            raise unavailable(self.location, error) from None
        except Exception as error:
            if not is_store_failure(error):  # psycopg's errors, without importing psycopg here
                raise
            raise unavailable(self.location, error) from None

    @contextmanager
    def _connected_cursor(self) -> Iterator[Any]:
        if self.location.is_postgres:
            import psycopg  # here, not at the top: `ledger --help` must not pay for the driver

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

    @property
    def _marker(self) -> str:
        return "%s" if self.location.is_postgres else "?"

    def create(
        self, role: str, name: str | None = None, expires_at: datetime | None = None
    ) -> tuple[str, Principal]:
        """Make a token; the secret is returned once and never stored."""
        if role not in ROLES:
            raise InvalidInput(f"{role!r} is not a role (one of {', '.join(ROLES)})", field="role")
        now = datetime.now(UTC)
        if expires_at is not None and expires_at <= now:
            raise InvalidInput(f"{expires_at.isoformat()} has already passed", field="expires")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        principal = Principal(name or f"{role}-{_hash(token)[:8]}", role)
        m = self._marker
        with self._cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (hash, name, role, created_at, expires_at) VALUES ({m}, {m}, {m}, {m}, {m})",
                (_hash(token), principal.name, role, now.isoformat(),
                 None if expires_at is None else expires_at.isoformat()),
            )
        return token, principal

    def knows(self, token: str) -> bool:
        """Whether `principal` can answer for `token` without asking the database."""
        known = self._known.get(_hash(token))
        return known is not None and time.monotonic() - known.checked <= RECHECK_SECONDS

    def tokens(self) -> list[TokenInfo]:
        """Every token ever made, oldest first."""
        with self._cursor() as cursor:
            cursor.execute(f"SELECT name, role, created_at, expires_at, revoked_at FROM {TABLE} ORDER BY created_at")
            rows = cursor.fetchall()
        return [TokenInfo(row[0], row[1], datetime.fromisoformat(row[2]), _moment(row[3]), _moment(row[4]))
                for row in rows]

    def revoke(self, name: str) -> int:
        """Revoke every unrevoked token of this name; returns how many. NOT_FOUND if there is none."""
        m = self._marker
        with self._cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET revoked_at = {m} WHERE name = {m} AND revoked_at IS NULL",
                           (datetime.now(UTC).isoformat(), name))
            revoked = int(cursor.rowcount)
        if revoked == 0:
            names = [t.name for t in self.tokens() if t.revoked_at is None]
            raise unknown(f"no unrevoked token named {name!r}", name, names, "name")
        return revoked

    def principal(self, token: str) -> Principal | None:
        """The principal of a token, or None if the token is unknown.

        Raises UNAUTHENTICATED for a revoked or expired token.
        """
        digest = _hash(token)
        known = self._known.get(digest)
        if known is None or time.monotonic() - known.checked > RECHECK_SECONDS:
            known = self._read(digest)
            if known is None:
                return None
        if known.expires_at is not None and known.expires_at <= datetime.now(UTC):
            raise AccessDenied(f"the bearer token {known.principal.name!r} expired at "
                               f"{known.expires_at.isoformat()}", code="UNAUTHENTICATED")
        return known.principal

    def _read(self, digest: str) -> _Known | None:
        with self._cursor() as cursor:
            cursor.execute(f"SELECT name, role, expires_at, revoked_at FROM {TABLE} WHERE hash = {self._marker}",
                           (digest,))
            row = cursor.fetchone()
        self._known.pop(digest, None)
        if row is None:
            return None
        if row[3] is not None:
            raise AccessDenied(f"the bearer token {row[0]!r} was revoked at {row[3]}", code="UNAUTHENTICATED")
        self._known[digest] = _Known(Principal(name=row[0], role=row[1]), _moment(row[2]), time.monotonic())
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
