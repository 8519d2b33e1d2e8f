"""The server: Starlette with the GraphQL endpoint (HTTP and WebSocket) and /healthz.

`create_app` is the composition root. Its lifespan opens the store, builds the read model and
starts the follower; nothing connects to a database before the server starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import asyncpg
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import TokenStore, principal_from_header
from api.context import LedgerContext, Services
from api.live import InMemoryProjection, LiveFeed, PostgresProjection
from api.logs import REQUEST_ID, use_json_logs
from api.metrics import Metrics, MetricsMiddleware, Positions
from api.reader import InMemoryReader, Reader
from api.response_cache import ResponseCache
from api.schema import build_schema
from api.settings import ApiSettings
from api.status import lag
from ledger.application import LedgerApplication, open_ledger
from ledger.errors import AccessDenied
from projections.memory import InMemoryReadModel
from projections.pg_leader import Leadership
from projections.pg_projector import PostgresProjector
from projections.pg_reader import PostgresReader
from projections.pg_schema import migrate

log = logging.getLogger("ledger.api")


class LedgerGraphQL(GraphQL[LedgerContext, None]):
    """The strawberry ASGI app, with our context."""

    def __init__(self, services_holder: dict[str, Services], settings: ApiSettings) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None)
        self._holder = services_holder

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> LedgerContext:
        return LedgerContext(
            services=self._holder["services"],
            request_id=request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
            authorization=request.headers.get("authorization"),
            request=request,
            response=response,
        )


def _error(status: int, code: str, message: str, request_id: str) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    return JSONResponse(body, status_code=status, headers={"x-request-id": request_id})


class Guard:
    """Request id, body size cap and per-request timeout for HTTP requests."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            scope.setdefault("state", {})["request_id"] = uuid.uuid4().hex
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)  # every log line written for this request carries it
        limit = self.settings.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _error(413, "BODY_TOO_LARGE", f"the request body is over {limit} bytes", request_id)(
                scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            with anyio.fail_after(self.settings.request_timeout_seconds):
                await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _error(413, "BODY_TOO_LARGE", f"the request body is over {limit} bytes", request_id)(
                    scope, receive, send)
        except TimeoutError:
            log.warning("request %s timed out after %.1fs", request_id, self.settings.request_timeout_seconds)
            if not started:
                await _error(504, "TIMEOUT", "the request took too long and was stopped", request_id)(
                    scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id" and 0 < len(value) <= 100:
            return str(value.decode("latin-1"))
    return uuid.uuid4().hex


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_side(
    settings: ApiSettings, app: LedgerApplication, stack: contextlib.AsyncExitStack
) -> tuple[Reader, LiveFeed]:
    """The reader and live feed for the chosen read model (closed by `stack`)."""
    if settings.chosen_read_model == "memory":
        model = InMemoryReadModel()
        return InMemoryReader(model), LiveFeed(InMemoryProjection(app, model))
    pool = await asyncpg.create_pool(settings.store.url, min_size=1, max_size=10)
    stack.push_async_callback(pool.close)
    async with pool.acquire() as connection:
        await migrate(connection)
    reader = PostgresReader(pool)
    if settings.read_database_url:
        # Queries go to the replica; the projector still writes on the primary.
        replica = await asyncpg.create_pool(settings.read_database_url, min_size=1, max_size=10)
        stack.push_async_callback(replica.close)
        reader = PostgresReader(replica)
    leadership = Leadership(settings.store.url, "api")  # one projector per database: the leader's
    stack.push_async_callback(leadership.close)
    feed = LiveFeed(PostgresProjection(PostgresProjector(app, pool), reader, leadership, settings.projector))
    # A dedicated connection for LISTEN: pooled connections UNLISTEN when released.
    listener = await asyncpg.connect(settings.store.url)
    stack.push_async_callback(listener.close)
    await listener.add_listener(app.recorder.channel_name, feed.wake)  # type: ignore[attr-defined]
    return reader, feed


def create_app(settings: ApiSettings) -> Starlette:
    """The ASGI application for these settings."""
    holder: dict[str, Services] = {}
    graphql = LedgerGraphQL(holder, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        app = await anyio.to_thread.run_sync(open_ledger, settings.store)
        async with contextlib.AsyncExitStack() as stack:
            stack.callback(app.close)
            reader, feed = await _read_side(settings, app, stack)
            await feed.catch_up()
            tokens = await anyio.to_thread.run_sync(TokenStore, settings.store)
            holder["services"] = Services(settings, app, reader, feed, tokens)
            follower = asyncio.create_task(feed.follow(settings.poll_seconds))
            try:
                yield {"services": holder["services"]}
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower

    async def healthz(request: Request) -> Response:
        services = holder.get("services")
        if services is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            position = await anyio.to_thread.run_sync(services.app.last_position)
        except Exception as error:  # any store failure means "not healthy"; say which
            return JSONResponse({"status": "store unreachable", "error": type(error).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "position": position, "read_model_position": services.reader.position})

    metrics = Metrics(lambda: _positions(holder.get("services")))

    async def metrics_page(_: Request) -> Response:
        text = await anyio.to_thread.run_sync(generate_latest, metrics.registry)  # reads the store: off the loop
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    starlette = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/metrics", metrics_page),
        ],
        lifespan=lifespan,
    )
    if settings.response_cache:
        services = holder.get  # looked up per request: the services exist once the lifespan ran

        async def still_valid(authorization: bytes) -> bool:
            found = services("services")
            if found is None:
                return False
            try:
                await anyio.to_thread.run_sync(principal_from_header, authorization.decode("latin-1"), found.tokens)
            except AccessDenied:
                return False
            return True

        starlette.add_middleware(
            ResponseCache, position=lambda: s.reader.position if (s := services("services")) else None,
            still_valid=still_valid)
    starlette.add_middleware(Guard, settings=settings)  # outermost: size and time limits first
    starlette.add_middleware(MetricsMiddleware, metrics=metrics)  # around the guard: 413s and 504s count too
    return starlette


def _positions(services: Services | None) -> Positions | None:
    """The positions and lag `/metrics` exports; None before the services exist."""
    if services is None:
        return None
    store = services.app.last_position()
    read = services.reader.position
    behind = lag(services.app, store, read)
    leadership = getattr(services.feed.projection, "leadership", None)
    return Positions(store, read, behind.entries, behind.seconds, None if leadership is None else leadership.leads)


def app_from_environment() -> Starlette:
    """The application as configured by LEDGER_* variables: what each `ledger serve --workers N` worker runs."""
    settings = ApiSettings.from_environment()
    if settings.log_format == "json":
        use_json_logs()  # a worker process starts with logging unconfigured
    return create_app(settings)
