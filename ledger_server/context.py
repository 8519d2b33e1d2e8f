"""What every resolver gets: the ledger, the reader, the live feed and the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from ledger.application import LedgerApplication
from ledger.errors import LedgerError
from ledger_server.auth import Principal, TokenStore, principal_from_header, require
from ledger_server.group_commit import GroupCommit
from ledger_server.live import LiveFeed
from ledger_server.reader import Reader
from ledger_server.settings import ApiSettings


@dataclass
class Services:
    """Built once by the server's lifespan and shared by every request."""

    settings: ApiSettings
    app: LedgerApplication
    reader: Reader
    feed: LiveFeed
    tokens: TokenStore
    writes: GroupCommit  # every mutation records through it (concurrent ones share a transaction)


@dataclass
class LedgerContext:
    """The per-request context handed to strawberry."""

    services: Services
    request_id: str
    authorization: str | None
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = field(default=None)
    # An HTTP request's questions all read one log position; a WebSocket connection, which
    # lives long and asks many times, reads the current one each time.
    pin_reads: bool = False
    _pinned: Reader | None = field(default=None, repr=False)

    @property
    def reader(self) -> Reader:
        if not self.pin_reads:
            return self.services.reader
        if self._pinned is None:
            self._pinned = self.services.reader.pinned()
        return self._pinned

    # The caller looked up ahead of time (see `look_up_caller`): the principal, or why it failed.
    caller: tuple[Principal | None, LedgerError | None] | None = field(default=None)

    async def look_up_caller(self) -> None:
        """Look the header's token up in a worker thread, so a slow token table never blocks the event loop."""
        if self.authorization is None:
            return
        tokens = self.services.tokens
        known = tokens.knows(self.authorization.partition(" ")[2].strip())
        try:
            # A token seen before is answered from memory; only an unseen one needs the table.
            found = (principal_from_header(self.authorization, tokens) if known
                     else await anyio.to_thread.run_sync(principal_from_header, self.authorization, tokens))
        except LedgerError as error:
            self.caller = (None, error)
        else:
            self.caller = (found, None)

    def principal(self) -> Principal | None:
        """The caller; a WebSocket client may send its token in connection_init instead of a header."""
        if self.caller is not None:
            found, error = self.caller
            if error is not None:
                raise error
            return found
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
