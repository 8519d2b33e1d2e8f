"""The server: Starlette with the GraphQL endpoint (HTTP and WebSocket), /healthz and the web page.

`create_app` is the composition root. Its lifespan opens the store, builds the read model and
starts the follower; nothing connects to a database before the server starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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

from ledger import strict_json
from ledger.application import LedgerApplication, open_ledger
from ledger.errors import AccessDenied, InvalidInput, LedgerError
from ledger.outage import cause_of, is_store_failure
from ledger_server.auth import TokenStore, principal_from_header
from ledger_server.body_check import BodyCheck
from ledger_server.context import LedgerContext, Services
from ledger_server.listener import Listener
from ledger_server.live import InMemoryProjection, LiveFeed, PostgresProjection
from ledger_server.logs import REQUEST_ID, use_json_logs
from ledger_server.metrics import Metrics, MetricsMiddleware, Positions
from ledger_server.reader import Reader
from ledger_server.response_cache import ResponseCache
from ledger_server.retryable import RETRY_AFTER_SECONDS
from ledger_server.schema import WRITE_STARTED, build_schema
from ledger_server.settings import ApiSettings
from ledger_server.status import lag
from ledger_server.web import graphiql_page, web_routes
from projections.memory import InMemoryReadModel
from projections.pg_leader import Leadership
from projections.pg_projector import PostgresProjector
from projections.pg_reader import PostgresReader
from projections.pg_schema import migrate
from projections.service import ReadService

log = logging.getLogger("ledger.api")
HEALTH_SECONDS = 0.8  # the most /healthz waits for the store, so it answers within a second


class LedgerGraphQL(GraphQL[LedgerContext, None]):
    """The strawberry ASGI app, with our context."""

    def __init__(self, services_holder: dict[str, Services], settings: ApiSettings) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None)
        self._holder = services_holder

    async def render_graphql_ide(self, request: Request) -> Response:
        # strawberry's page loads GraphiQL from a CDN; ours loads the copy shipped in ledger_server/static.
        return await graphiql_page()
    def decode_json(self, data: str | bytes) -> object:
        """Every body and WebSocket message is read strictly (ledger_server.body_check refuses HTTP bodies first).

        A refusal is a JSONDecodeError, which strawberry answers as the client's mistake: a 400,
        or closing the WebSocket with 4400, instead of a RecursionError in its handler.
        """
        try:
            return strict_json.loads(data)
        except InvalidInput as error:
            text = data if isinstance(data, str) else data.decode("utf-8", "replace")
            raise json.JSONDecodeError(f"the message {error.message}", text, 0) from None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> LedgerContext:
        context = LedgerContext(
            services=self._holder["services"],
            request_id=request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
            authorization=request.headers.get("authorization"),
            request=request,
            response=response,
            pin_reads=isinstance(request, Request),
        )
        await context.look_up_caller()
        return context


def _error(status: int, code: str, message: str, request_id: str, *, retry_after: bool = False) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code, "requestId": request_id}}]}
    headers = {"x-request-id": request_id}
    if retry_after:
        headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(body, status_code=status, headers=headers)


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
            if started:
                return
            if scope["state"].get(WRITE_STARTED):
                # The entry was handed to the store: it may be saved, so "stopped" would mislead.
                await _error(504, "OUTCOME_UNKNOWN", "the request took too long after the write began, so it may "
                             "or may not have been saved; retry with the same key, it is idempotent", request_id,
                             retry_after=True)(scope, receive, send)
                return
            await _error(504, "TIMEOUT", "the request took too long and was stopped; nothing was written",
                         request_id)(scope, receive, send)


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
        stack.callback(model.close)  # runs before the store closes (the stack unwinds in reverse)
        return ReadService(model, offload=True), LiveFeed(InMemoryProjection(app, model))
    timeout = settings.store.connect_timeout_seconds
    pool = await asyncpg.create_pool(settings.store.url, min_size=1, max_size=10, timeout=timeout)
    stack.push_async_callback(pool.close)
    async with pool.acquire() as connection:
        await migrate(connection)
    reader = PostgresReader(pool)
    if settings.read_database_url:
        # Queries go to the replica; the projector still writes on the primary.
        replica = await asyncpg.create_pool(settings.read_database_url, min_size=1, max_size=10, timeout=timeout)
        stack.push_async_callback(replica.close)
        reader = PostgresReader(replica)
    leadership = Leadership(settings.store.url, "api")  # one projector per database: the leader's
    stack.push_async_callback(leadership.close)
    feed = LiveFeed(PostgresProjection(PostgresProjector(app, pool), reader, leadership, settings.projector))
    # A dedicated connection for LISTEN: pooled connections UNLISTEN when released.
    listener = Listener(settings.store.url, app.recorder.channel_name, feed.wake, timeout)  # type: ignore[attr-defined]
    await listener.connect()
    task = asyncio.create_task(listener.run())
    stack.push_async_callback(_cancel, task)
    return ReadService(reader, offload=True), feed


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _unhealthy(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=503, headers={"retry-after": str(RETRY_AFTER_SECONDS)})


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
            return _unhealthy({"status": "starting"})
        try:
            # A limited wait in a thread the probe may leave behind: /healthz answers within a
            # second however the store fails, even when it accepts connections but never replies.
            with anyio.fail_after(HEALTH_SECONDS):
                position = await anyio.to_thread.run_sync(services.app.last_position, abandon_on_cancel=True)
                verified = await anyio.to_thread.run_sync(services.app.leaf_store().last_verification,
                                                          abandon_on_cancel=True)
        except TimeoutError:
            return _unhealthy({"status": "store unreachable", "error": f"no answer within {HEALTH_SECONDS} s"})
        except LedgerError as error:
            return _unhealthy({"status": "store unreachable", "error": error.message})
        except Exception as error:
            if not is_store_failure(error):
                raise
            return _unhealthy({"status": "store unreachable", "error": cause_of(error)})
        read_model = services.reader.position
        if services.feed.failure is not None:
            return _unhealthy({"status": "read model behind", "error": services.feed.failure,
                               "position": position, "read_model_position": read_model})
        # The last `ledger verify` (none yet: null), so a failed verification stays in view.
        return JSONResponse({"status": "ok", "position": position, "read_model_position": read_model,
                             "verified": None if verified is None else verified.to_json()})

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
            *web_routes(lambda: holder.get("services"), graphiql=settings.graphiql),
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
    starlette.add_middleware(BodyCheck)  # before the cache, which parses the body too
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
