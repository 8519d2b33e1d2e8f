"""Refuse GraphQL requests whose JSON no later layer can read safely, with a 400 that says why.

A POST body (or a GET request's `variables` and `extensions`) is read with the ledger's strict
JSON reader: bytes that are not UTF-8, lone surrogates and nesting beyond 64 levels are the
client's mistake and get `400 INVALID_INPUT`, instead of reaching strawberry, the response
cache or a resolver as a RecursionError or UnicodeError (a 500, or a masked error). The body
is then handed on unchanged.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.errors import InvalidInput
from ledger.strict_json import loads
from ledger_server.request_body import read_body, replay

PATH = "/graphql"


class BodyCheck:
    """Pure ASGI middleware in front of the GraphQL endpoint (HTTP only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        try:
            _check_query_string(scope)
        except InvalidInput as error:
            await _refuse(error, scope, receive, send)
            return
        if scope["method"] != "POST" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        # The body's size is already capped by the Guard outside this middleware.
        body, _ = await read_body(receive)
        try:
            loads(body)
        except InvalidInput as error:
            await _refuse(error, scope, receive, send)
            return
        await self.app(scope, replay(body, False, receive), send)


def _check_query_string(scope: Scope) -> None:
    raw = scope.get("query_string", b"")
    if not raw:
        return
    params = QueryParams(raw.decode("latin-1"))
    for name in ("variables", "extensions"):
        value = params.get(name)
        if value is not None:
            try:
                loads(value)
            except InvalidInput as error:
                raise InvalidInput(f"the `{name}` parameter {error.message}", field=name) from None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return True  # strawberry reads a body without a content type as JSON too


async def _refuse(error: InvalidInput, scope: Scope, receive: Receive, send: Send) -> None:
    message = error.message if error.field else f"the request body {error.message}"
    request_id = str(scope.get("state", {}).get("request_id", ""))
    body = {"errors": [{"message": message, "extensions": {"code": error.code, "requestId": request_id}}]}
    await JSONResponse(body, status_code=400)(scope, receive, send)
