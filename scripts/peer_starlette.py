"""The benchmark's HTTP peer: a bare Starlette endpoint returning fixed response bytes.

Served by uvicorn like the ledger's server and loaded by the same load generator, it answers
POST /graphql with the bytes of a PlanOnDate response recorded from the ledger (the file named
by LEDGER_BENCH_BODY), so the difference is everything the ledger does per request beyond HTTP:

    LEDGER_BENCH_BODY=plan.json python -m uvicorn --factory scripts.peer_starlette:create_app --port 8001
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_app() -> Starlette:
    """The endpoint, with the body read once at start-up."""
    body = Path(os.environ["LEDGER_BENCH_BODY"]).read_bytes()

    async def graphql(request: Request) -> Response:
        await request.body()  # read the request as the ledger's endpoint must
        return Response(body, media_type="application/json")

    async def healthz(_: Request) -> Response:
        return Response(b"ok")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)])
