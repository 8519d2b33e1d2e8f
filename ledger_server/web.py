"""The browser side of the server: the programme page, its two charts as SVG, and GraphiQL.

Every asset comes from the installed package (ledger_server/static/), never from a CDN, so the page and
GraphiQL work on a network with no way out. The HTML, scripts and styles hold no ledger data
and are served to anyone; every answer with data (GraphQL, the chart SVGs) follows the read
token rules: public reads on, or a reader token in the Authorization header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ledger.errors import InvalidInput, LedgerError, UnknownReference
from ledger.values import parse_date
from ledger_server.auth import principal_from_header, require
from ledger_server.charts.gantt import gantt_svg
from ledger_server.charts.mta import mta_svg
from ledger_server.context import Services
from projections.plan import END_OF_TIME
from projections.trend import EFFECTIVE, split_subjects

STATIC = Path(__file__).parent / "static"
GRAPHIQL_PAGE = STATIC / "graphiql.html"
SVG = "image/svg+xml"
STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404}
# The page may load and fetch from this server only; the browser refuses anything else. Inline
# styles are allowed because the charts' SVG carries its colours in attributes.
PAGE_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'")

ServicesLookup = Callable[[], Services | None]


def web_routes(services: ServicesLookup, *, graphiql: bool) -> list[BaseRoute]:
    """The page at / and /programmes/{id}, its static files, the two chart endpoints, and GraphiQL's files.

    GraphiQL's files are mounted only when GraphiQL is on: `--no-graphiql` leaves no part of it served.
    """

    async def page(_: Request) -> Response:
        return FileResponse(STATIC / "page" / "index.html", media_type="text/html",
                            headers={"content-security-policy": PAGE_POLICY})

    async def trend(request: Request) -> Response:
        return await _answer(services, request, _trend_svg)

    async def timeline(request: Request) -> Response:
        return await _answer(services, request, _timeline_svg)

    return [
        Route("/", page),
        Route("/programmes/{programme}", page),
        Route("/programmes/{programme}/trend.svg", trend),
        Route("/programmes/{programme}/timeline.svg", timeline),
        Mount("/static/page", StaticFiles(directory=STATIC / "page"), name="page"),
        *([Mount("/static/graphiql", StaticFiles(directory=STATIC / "graphiql"), name="graphiql")]
          if graphiql else []),
    ]


async def graphiql_page() -> Response:
    """GraphiQL, loading React and GraphiQL from /static/graphiql/ (vendored from npm)."""
    return FileResponse(GRAPHIQL_PAGE, media_type="text/html")


async def _answer(services: ServicesLookup, request: Request,
                  draw: Callable[[Services, Request], Awaitable[str]]) -> Response:
    found = services()
    if found is None:
        return JSONResponse({"error": {"code": "STARTING", "message": "the server is starting"}}, status_code=503)
    try:
        if not found.settings.public_reads:
            require(principal_from_header(request.headers.get("authorization"), found.tokens), "reader",
                    "reading the ledger")
        svg = await draw(found, request)
    except LedgerError as error:
        status = STATUS.get(error.code, 400)
        body = {"error": {"code": error.code, "message": str(error), "field": error.field}}
        return JSONResponse(body, status_code=status)
    return Response(svg, media_type=SVG, headers={"cache-control": "no-store"})


async def _trend_svg(services: Services, request: Request) -> str:
    programme = request.path_params["programme"]
    moment = _moment(request.query_params.get("recordedAsOf"))
    latest = await services.reader.plan(programme, END_OF_TIME, moment)
    if latest is None:
        raise UnknownReference(f"programme {programme!r} is not known", field="programme")
    chosen = request.query_params.getlist("subject")
    actors, waves = split_subjects(latest, chosen)
    trend = await services.reader.milestone_trend(programme, actors, waves, moment, EFFECTIVE)
    until = _day(request.query_params.get("asOf"), "asOf")
    return mta_svg(trend, until)


async def _timeline_svg(services: Services, request: Request) -> str:
    programme = request.path_params["programme"]
    baseline = request.query_params.get("baseline")
    if not baseline:
        raise InvalidInput("give a baseline: a baseline name or a date YYYY-MM-DD", field="baseline")
    against = _day(request.query_params.get("against"), "against") or datetime.now(UTC).date()
    moment = _moment(request.query_params.get("recordedAsOf"))
    comparison = await services.reader.comparison(programme, baseline, against, moment)
    return gantt_svg(comparison)


def _day(text: str | None, field: str) -> date | None:
    return None if not text else parse_date(text, field)


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a timestamp such as 2026-11-22T10:00:00+00:00",
                           field="recordedAsOf") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{text!r} has no UTC offset; add +00:00 or Z", field="recordedAsOf")
    return moment

