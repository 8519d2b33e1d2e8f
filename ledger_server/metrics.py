"""`/metrics` in Prometheus's text format, through prometheus-client.

Requests and latency by operation name and outcome code, GraphQL errors by code (counted as the
answers leave), and, read when scraped, the store and read-model positions, the projector lag in
entries and seconds, and whether this process leads the projector. Each app has its own
registry, so several apps in one process (the tests) never share counters.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger import strict_json
from ledger.errors import InvalidInput

OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FIRST_OPERATION = re.compile(rb"^\s*(?:query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")
MAX_OPERATIONS = 200  # names come from clients: past this many, new ones count as "other"


@dataclass(frozen=True)
class Positions:
    """The read side as one scrape sees it."""

    store: int
    read_model: int
    lag_entries: int
    lag_seconds: float
    leads: bool | None  # None when there is no projector leadership (an in-memory read model)


class _PositionCollector(Collector):
    def __init__(self, positions: Callable[[], Positions | None]) -> None:
        self.positions = positions

    def collect(self) -> Any:
        found = self.positions()
        if found is None:
            return
        yield GaugeMetricFamily("ledger_store_position", "Last log position in the event store",
                                value=found.store)
        yield GaugeMetricFamily("ledger_read_model_position", "Last log position the read model has applied",
                                value=found.read_model)
        yield GaugeMetricFamily("ledger_projector_lag_entries", "Entries in the store not yet in the read model",
                                value=found.lag_entries)
        yield GaugeMetricFamily("ledger_projector_lag_seconds",
                                "How long the oldest entry not yet in the read model has waited",
                                value=found.lag_seconds)
        if found.leads is not None:
            yield GaugeMetricFamily("ledger_projector_leader", "1 when this process leads the projector",
                                    value=1 if found.leads else 0)


class Metrics:
    """The registry of one app and the instruments the middleware moves."""

    def __init__(self, positions: Callable[[], Positions | None]) -> None:
        self.registry = CollectorRegistry()
        labels = ["operation", "outcome"]
        self.requests = Counter("ledger_graphql_requests", "GraphQL HTTP requests by operation name and outcome",
                                labels, registry=self.registry)
        self.latency = Histogram("ledger_graphql_request_seconds", "GraphQL HTTP request latency",
                                 labels, registry=self.registry)
        self.errors = Counter("ledger_graphql_errors", "GraphQL errors in answers, by code", ["code"],
                              registry=self.registry)
        self.registry.register(_PositionCollector(positions))
        self._operations: set[str] = set()

    def operation(self, request_body: bytes) -> str:
        """The operation's name as a label: operationName, else the document's first name, else anonymous."""
        name = None
        try:
            # Strictly, as the endpoint reads it: a hostile body (100,000 levels deep, a lone
            # surrogate) is the client's 400 further in, never this middleware's crash.
            request = strict_json.loads(request_body)
        except (ValueError, InvalidInput):
            request = None
        if isinstance(request, dict):
            if isinstance(request.get("operationName"), str):
                name = str(request["operationName"])
            elif isinstance(request.get("query"), str):
                match = FIRST_OPERATION.match(request["query"].encode())
                name = match.group(1).decode() if match else None
        if name is None or not OPERATION_NAME.match(name):
            return "anonymous"
        if name not in self._operations and len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def observe(self, operation: str, status: int, response_body: bytes, seconds: float) -> None:
        """Count one answered request."""
        codes = _error_codes(response_body)
        outcome = f"HTTP_{status}" if status != 200 else (codes[0] if codes else "OK")
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation, outcome).observe(seconds)
        for code in codes:
            self.errors.labels(code).inc()


def _error_codes(body: bytes) -> list[str]:
    if b'"errors"' not in body:
        return []  # the common case, decided without parsing a large answer
    try:
        answer = json.loads(body)
    except ValueError:
        return []
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) and OPERATION_NAME.match(code) else "ERROR")
    return codes


class MetricsMiddleware:
    """Times and counts every HTTP request to /graphql, reading the bodies as they pass."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request: list[bytes] = []
        response: list[bytes] = []
        status = [500]

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            elif message["type"] == "http.response.body":
                response.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            self.metrics.observe(self.metrics.operation(b"".join(request)), status[0], b"".join(response),
                                 time.perf_counter() - started)
