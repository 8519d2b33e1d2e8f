"""Serve repeated GraphQL queries from memory while the ledger has not changed.

A query's answer depends only on the document, its variables, the caller, today's date (the
default asOf) and the read model's position: the log is append-only, so nothing a query can
see changes until the position moves. Answers are cached under exactly that key; mutations,
subscriptions and answers with errors are never cached.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_server.request_body import read_body, replay

CACHE_SIZE = 512
BODY_LIMIT = 1024 * 1024  # a longer body is no query worth caching: it goes on to the app unread


@lru_cache(maxsize=256)
def _is_query(document: str, operation_name: str | None) -> bool:
    try:
        parsed = parse(document)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return len(chosen) == 1 and chosen[0].operation == OperationType.QUERY


class ResponseCache:
    """ASGI middleware in front of the GraphQL endpoint (HTTP POST only)."""

    def __init__(
        self, app: ASGIApp, position: Callable[[], int | None],
        still_valid: Callable[[bytes], Awaitable[bool]] | None = None,
    ) -> None:
        self.app = app
        self.position = position
        # Whether the Authorization header of a cached answer still names a valid token:
        # a revoked or expired token must not go on being served from the cache.
        self.still_valid = still_valid
        self.entries: OrderedDict[tuple[Any, ...], tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body, more = await read_body(receive, limit=BODY_LIMIT)
        key = None if more else self._key(scope, body)
        if key is not None and key in self.entries and not await self._token_still_valid(scope):
            del self.entries[key]  # the application answers (and refuses) it afresh
            key = None
        if key is not None and key in self.entries:
            self.entries.move_to_end(key)
            headers, content = self.entries[key]
            await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
            await send({"type": "http.response.body", "body": content})
            return
        replayed = replay(body, more, receive)
        if key is None:
            await self.app(scope, replayed, send)
            return
        await self.app(scope, replayed, self._recording(key, send))

    async def _token_still_valid(self, scope: Scope) -> bool:
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return not authorization or self.still_valid is None or await self.still_valid(authorization)

    def _key(self, scope: Scope, body: bytes) -> tuple[Any, ...] | None:
        position = self.position()
        if position is None:
            return None
        try:
            request = json.loads(body)
        except ValueError:
            return None
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return None
        operation = request.get("operationName")
        if not (operation is None or isinstance(operation, str)) or not _is_query(request["query"], operation):
            return None
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        variables = json.dumps(request.get("variables"), sort_keys=True)
        return (request["query"], operation, variables, authorization, datetime.now(UTC).date(), position)

    def _recording(self, key: tuple[Any, ...], send: Send) -> Send:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and started.get("status") == 200:
                    self._store(key, started.get("headers", []), b"".join(chunks))
            await send(message)

        return recording_send

    def _store(self, key: tuple[Any, ...], headers: list[tuple[bytes, bytes]], content: bytes) -> None:
        try:
            answer = json.loads(content)
        except ValueError:
            return
        if not isinstance(answer, dict) or answer.get("errors"):
            return
        kept = [(name, value) for name, value in headers if name.lower() != b"x-request-id"]
        self.entries[key] = (kept, content)
        while len(self.entries) > CACHE_SIZE:
            self.entries.popitem(last=False)
