"""What every resolver gets: the ledger, the reader, the live feed and the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.auth import Principal, TokenStore, principal_from_header, require
from api.live import LiveFeed
from api.reader import Reader
from api.settings import ApiSettings
from ledger.application import LedgerApplication


@dataclass
class Services:
    """Built once by the server's lifespan and shared by every request."""

    settings: ApiSettings
    app: LedgerApplication
    reader: Reader
    feed: LiveFeed
    tokens: TokenStore


@dataclass
class LedgerContext:
    """The per-request context handed to strawberry."""

    services: Services
    request_id: str
    authorization: str | None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = field(default=None)

    @property
    def reader(self) -> Reader:
        return self.services.reader

    def principal(self) -> Principal | None:
        """The caller; a WebSocket client may send its token in connection_init instead of a header."""
        header = self.authorization
        if header is None and self.connection_params:
            header = self.connection_params.get("Authorization") or self.connection_params.get("authorization")
        return principal_from_header(header, self.services.tokens)

    def require(self, role: str, action: str) -> Principal:
        """The caller if it has `role`; raises UNAUTHENTICATED or FORBIDDEN otherwise."""
        return require(self.principal(), role, action)

    def require_read(self) -> None:
        """Reads need a reader token unless the server allows public reads."""
        if not self.services.settings.public_reads:
            self.require("reader", "reading the ledger")
